import { isObject, str, type Json } from "../util.js";
import { reject } from "./reject.js";

const IMAGE_TYPES: ReadonlySet<string> = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

/** Chat Completions content parts → Anthropic content blocks (text, image, PDF document). */
export function userContent(content: unknown, i: number): string | Json[] {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return reject(`'messages[${i}].content' must be a string or an array of content parts`);
  return content.map((p, j) => contentPart(p, `messages[${i}].content[${j}]`));
}

export function toolResultContent(content: unknown, i: number): string | Json[] {
  if (content === null || content === undefined) return "";
  return userContent(content, i);
}

function contentPart(part: unknown, where: string): Json {
  if (!isObject(part)) return reject(`'${where}' must be an object`);
  switch (part.type) {
    case "text":
      if (typeof part.text !== "string") reject(`'${where}.text' must be a string`);
      return { type: "text", text: part.text };
    case "image_url":
      return imageBlock(part.image_url, where);
    case "file":
      return documentBlock(part.file, where);
    case "input_audio":
      return reject(`'${where}': audio input is not supported by this upstream (Anthropic)`);
    default:
      return reject(`'${where}': content part type ${JSON.stringify(part.type)} is not supported by this upstream (Anthropic)`);
  }
}

/** `data:<mime>[;param]*;base64,<data>` → mime and data, or undefined. */
function parseDataUrl(url: string): { mime: string; data: string } | undefined {
  const comma = url.indexOf(",");
  if (!url.startsWith("data:") || comma === -1) return undefined;
  const [mime = "", ...params] = url.slice(5, comma).split(";");
  if (!params.some((p) => p.trim().toLowerCase() === "base64")) return undefined;
  return { mime: mime.trim().toLowerCase(), data: url.slice(comma + 1) };
}

function imageBlock(image: unknown, where: string): Json {
  const url = typeof image === "string" ? image : isObject(image) ? str(image.url) : undefined;
  if (url === undefined) return reject(`'${where}.image_url.url' must be a string`);
  if (url.startsWith("data:")) {
    const parsed = parseDataUrl(url);
    if (parsed === undefined) return reject(`'${where}.image_url.url': only base64 data URLs are supported`);
    const mime = parsed.mime === "image/jpg" ? "image/jpeg" : parsed.mime;
    if (!IMAGE_TYPES.has(mime)) return reject(`'${where}.image_url.url': image type '${parsed.mime}' is not supported (jpeg, png, gif, webp)`);
    return { type: "image", source: { type: "base64", media_type: mime, data: parsed.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  return reject(`'${where}.image_url.url' must be an http(s) URL or a base64 data URL`);
}

function documentBlock(file: unknown, where: string): Json {
  if (!isObject(file)) return reject(`'${where}.file' must be an object`);
  if (typeof file.file_data !== "string") {
    return reject(`'${where}.file': only inline 'file_data' is supported by this upstream (Anthropic); 'file_id' has no equivalent`);
  }
  let data = file.file_data;
  if (data.startsWith("data:")) {
    const parsed = parseDataUrl(data);
    if (parsed === undefined || parsed.mime !== "application/pdf") return reject(`'${where}.file.file_data': only base64 PDF files are supported`);
    data = parsed.data;
  }
  return { type: "document", source: { type: "base64", media_type: "application/pdf", data } };
}
