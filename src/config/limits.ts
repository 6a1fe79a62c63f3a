/** The largest config file read (bytes). Real configs are far smaller: 10,000 routes take 1.3 MB. */
export const MAX_CONFIG_BYTES = 10 * 1024 * 1024;
