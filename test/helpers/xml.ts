/** A tiny, strict XML 1.0 reader for tests: enough to check that reports are well-formed and to read them back. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Text content directly inside the element, entities decoded. */
  text: string;
}

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function isNameStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || c === ":";
}

function isNameChar(c: string): boolean {
  return isNameStart(c) || (c >= "0" && c <= "9") || c === "-" || c === ".";
}

/**
 * Parses `text` or throws with the offset of the first violation: unbalanced
 * or mismatched tags, unquoted or duplicate attributes, a raw `<` or `&` in
 * text or attributes, an unknown entity, characters XML cannot carry, more
 * than one root element, content after the root.
 */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed XML at offset ${i}: ${why} (near ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))})`);
  };
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const ok = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
    if (!ok) fail(`character U+${cp.toString(16)} is not allowed`);
  }
  const skipSpace = (): void => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };
  const readName = (): string => {
    const start = i;
    if (!isNameStart(text[i] ?? "")) fail("expected a name");
    while (i < text.length && isNameChar(text[i]!)) i++;
    return text.slice(start, i);
  };
  const readEntity = (): string => {
    // at '&'
    const end = text.indexOf(";", i);
    if (end === -1 || end - i > 10) fail("unterminated entity");
    const name = text.slice(i + 1, end);
    i = end + 1;
    if (name.startsWith("#x")) {
      const n = Number.parseInt(name.slice(2), 16);
      if (!/^[0-9a-fA-F]+$/.test(name.slice(2))) fail("bad character reference");
      return String.fromCodePoint(n);
    }
    if (name.startsWith("#")) {
      if (!/^[0-9]+$/.test(name.slice(1))) fail("bad character reference");
      return String.fromCodePoint(Number(name.slice(1)));
    }
    const v = entities[name];
    if (v === undefined) fail(`unknown entity &${name};`);
    return v!;
  };

  if (text.startsWith("<?xml")) {
    const end = text.indexOf("?>");
    if (end === -1) fail("unterminated XML declaration");
    i = end + 2;
  }
  skipSpace();
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "<") {
      if (text.startsWith("<!--", i)) {
        const end = text.indexOf("-->", i + 4);
        if (end === -1) fail("unterminated comment");
        i = end + 3;
        continue;
      }
      if (text[i + 1] === "/") {
        i += 2;
        const name = readName();
        skipSpace();
        if (text[i] !== ">") fail("expected > after closing tag name");
        i++;
        const open = stack.pop();
        if (open === undefined || open.name !== name) fail(`closing tag </${name}> does not match <${open?.name ?? "(none)"}>`);
        if (stack.length === 0) {
          skipSpace();
          if (i < text.length) fail("content after the root element");
        }
        continue;
      }
      i++;
      if (root !== undefined && stack.length === 0) fail("a second root element");
      const el: XmlElement = { name: readName(), attrs: {}, children: [], text: "" };
      for (;;) {
        const before = i;
        skipSpace();
        if (text[i] === "/" && text[i + 1] === ">") {
          i += 2;
          break;
        }
        if (text[i] === ">") {
          i++;
          stack.push(el);
          break;
        }
        if (i === before) fail("expected whitespace before an attribute");
        const attr = readName();
        if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
        skipSpace();
        if (text[i] !== "=") fail("expected = after attribute name");
        i++;
        skipSpace();
        const quote = text[i];
        if (quote !== '"' && quote !== "'") fail("attribute value must be quoted");
        i++;
        let value = "";
        while (text[i] !== quote) {
          if (i >= text.length) fail("unterminated attribute value");
          if (text[i] === "<") fail("raw < in an attribute value");
          if (text[i] === "&") value += readEntity();
          else value += text[i++];
        }
        i++;
        el.attrs[attr] = value;
      }
      const parent = stack[stack.length - (stack[stack.length - 1] === el ? 2 : 1)];
      if (parent !== undefined) parent.children.push(el);
      else root = el;
      if (stack.length === 0) {
        skipSpace();
        if (i < text.length) fail("content after the root element");
      }
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) fail("text outside the root element");
    if (c === "&") top!.text += readEntity();
    else if (c === ">" && text.startsWith("]]>", i - 2)) fail("]]> in text");
    else {
      top!.text += c;
      i++;
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root === undefined) fail("no root element");
  return root!;
}

/** Every descendant element named `name`, depth first. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}
