/**
 * The algorithms of algorithms.ts in Lua, for Redis: one script checks every
 * counter of a request and charges them all only if every enforced one
 * admits it (atomic, one round trip, Redis's own clock). Counters are
 * hashes {a, b, ts} with a PEXPIRE after which they are as good as new.
 *
 * ARGV: the time (empty: Redis's own clock; tests pass a fake one), then per
 * counter (6 values): algorithm, limit, windowMs, admit, cost, shadow (1/0).
 * Returns {allowed, then per counter: allowed, remaining,
 * resetMs, retryAfterMs}.
 */
const COMMON = `
local function now_ms(given)
  if given ~= nil and given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function load(key, algo, limit, win, now)
  local h = redis.call('HMGET', key, 'a', 'b', 'ts')
  if h[3] then return tonumber(h[1]), tonumber(h[2]), tonumber(h[3]) end
  if algo == 'token_bucket' then return limit, 0, now end
  if algo == 'leaky_bucket' then return 0, 0, now end
  return 0, 0, math.floor(now / win) * win
end

local function advance(algo, limit, win, a, b, ts, now)
  local rate = limit / win
  local elapsed = now - ts
  if elapsed < 0 then elapsed = 0 end
  if algo == 'token_bucket' then
    a = a + elapsed * rate
    if a > limit then a = limit end
    if now > ts then ts = now end
    return a, 0, ts
  elseif algo == 'leaky_bucket' then
    a = a - elapsed * rate
    if a < 0 then a = 0 end
    if now > ts then ts = now end
    return a, 0, ts
  end
  local start = math.floor(now / win) * win
  if start == ts then return a, b, ts end
  if algo == 'sliding_window' and start - win == ts then return 0, a, start end
  return 0, 0, start
end

local function available(algo, limit, win, a, b, ts, now)
  if algo == 'token_bucket' then return a end
  if algo == 'sliding_window' then return limit - (b * (1 - (now - ts) / win) + a) end
  return limit - a
end

local function charged(algo, a, cost)
  if algo == 'token_bucket' then return a - cost end
  return a + cost
end

local function ttl(algo, limit, win, a, b, ts, now)
  if algo == 'token_bucket' or algo == 'leaky_bucket' then
    local missing = limit - available(algo, limit, win, a, b, ts, now)
    if missing < 0 then missing = 0 end
    return math.ceil(missing / (limit / win)) + 1000
  elseif algo == 'sliding_window' then
    return ts + 2 * win - now + 1000
  end
  return ts + win - now + 1000
end

local function save(key, algo, limit, win, a, b, ts, now)
  redis.call('HSET', key, 'a', string.format('%.17g', a), 'b', string.format('%.17g', b), 'ts', ts)
  redis.call('PEXPIRE', key, math.max(1, math.ceil(ttl(algo, limit, win, a, b, ts, now))))
end

local function timing(algo, limit, win, a, b, ts, now, need)
  local rate = limit / win
  local free = available(algo, limit, win, a, b, ts, now)
  if algo == 'token_bucket' or algo == 'leaky_bucket' then
    local retry = 0
    if free < need then retry = math.ceil((need - free) / rate) end
    return math.ceil((limit - free) / rate), retry
  end
  local to_end = ts + win - now
  if free >= need then return to_end, 0 end
  if algo == 'sliding_window' and b > 0 then
    local wait = math.ceil((need - free) / (b / win))
    if wait > to_end then wait = to_end end
    if wait < 1 then wait = 1 end
    return to_end, wait
  end
  return to_end, to_end
end
`;

export const CHECK_SCRIPT = `${COMMON}
local now = now_ms(ARGV[1])
local n = #KEYS
local st = {}
local all = 1
for i = 1, n do
  local o = 1 + (i - 1) * 6
  local algo, limit, win, admit = ARGV[o + 1], tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local a, b, ts = load(KEYS[i], algo, limit, win, now)
  a, b, ts = advance(algo, limit, win, a, b, ts, now)
  local free = available(algo, limit, win, a, b, ts, now)
  local ok = free >= admit
  if not ok and ARGV[o + 6] ~= '1' then all = 0 end
  st[i] = { a, b, ts, free, ok }
end
local out = { all }
for i = 1, n do
  local o = 1 + (i - 1) * 6
  local algo, limit, win, admit, cost = ARGV[o + 1], tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4]), tonumber(ARGV[o + 5])
  local a, b, ts, free, ok = st[i][1], st[i][2], st[i][3], st[i][4], st[i][5]
  local reset, retry = timing(algo, limit, win, a, b, ts, now, admit)
  local remaining = free
  if all == 1 then
    a = charged(algo, a, cost)
    save(KEYS[i], algo, limit, win, a, b, ts, now)
    remaining = available(algo, limit, win, a, b, ts, now)
  end
  if remaining < 0 then remaining = 0 end
  out[#out + 1] = ok and 1 or 0
  out[#out + 1] = math.floor(remaining)
  out[#out + 1] = math.ceil(reset)
  out[#out + 1] = math.ceil(retry)
end
return out
`;

/** Adjusts one counter by a delta (negative refunds). ARGV: time (or empty), algorithm, limit, windowMs, delta. */
export const ADJUST_SCRIPT = `${COMMON}
local now = now_ms(ARGV[1])
local algo, limit, win, delta = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local a, b, ts = load(KEYS[1], algo, limit, win, now)
a, b, ts = advance(algo, limit, win, a, b, ts, now)
a = charged(algo, a, delta)
save(KEYS[1], algo, limit, win, a, b, ts, now)
return 1
`;
