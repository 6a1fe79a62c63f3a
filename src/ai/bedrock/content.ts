import { HttpError } from "../../errors/http.js";

/** OpenAI message content parts → Bedrock content blocks (text, image, document). */

export type Block = Record<string, unknown>;

const IMAGE_FORMATS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

const DOCUMENT_FORMATS: Record<string, string> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "text/html": "html",
  "text/plain": "txt",
  "text/markdown": "md",
};

export const bad = (message: string): HttpError => new HttpError("invalid_body", message);

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** RFC 3986 percent-encoding of everything but unreserved characters (what the AWS SDKs send for path labels). */
export function encodePathLabel(label: string): string {
  return encodeURIComponent(label).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function textBlock(text: unknown): Block[] {
  return typeof text === "string" && text.trim().length > 0 ? [{ text }] : [];
}

function parseDataUrl(url: string): { mime: string; data: string } | null {
  const m = /^data:([^;,]+)(?:;[^;,=]+=[^;,]*)*;base64,(.*)$/s.exec(url);
  return m === null ? null : { mime: (m[1] as string).toLowerCase(), data: m[2] as string };
}

function imageBlock(part: Record<string, unknown>): Block {
  const image = part.image_url;
  const url = typeof image === "string" ? image : isObject(image) ? image.url : undefined;
  if (typeof url !== "string") throw bad("image_url part needs a url");
  if (!url.startsWith("data:")) {
    throw bad("Bedrock upstreams take images as base64 data URLs only (data:image/png;base64,…); http(s) image URLs are not fetched");
  }
  const parsed = parseDataUrl(url);
  if (parsed === null) throw bad("image_url data URL must be base64-encoded");
  const format = IMAGE_FORMATS[parsed.mime];
  if (format === undefined) throw bad(`image type ${parsed.mime} is not supported (png, jpeg, gif, webp)`);
  return { image: { format, source: { bytes: parsed.data } } };
}

function documentName(filename: unknown, index: number): string {
  const base = typeof filename === "string" ? filename.replace(/\.[^.]*$/, "") : "";
  // Bedrock: alphanumerics, single spaces, hyphens, parentheses, square brackets.
  const clean = base.replace(/[^A-Za-z0-9\s\-()[\]]/g, "-").replace(/\s+/g, " ").trim();
  return clean.length > 0 ? clean : `document-${index + 1}`;
}

function documentBlock(part: Record<string, unknown>, index: number): Block {
  const file = isObject(part.file) ? part.file : {};
  if (typeof file.file_id === "string") throw bad("file parts with file_id are not supported by Bedrock upstreams; send file_data");
  if (typeof file.file_data !== "string") throw bad("file part needs file_data");
  const parsed = parseDataUrl(file.file_data);
  const mime = parsed?.mime ?? "application/pdf";
  const format = DOCUMENT_FORMATS[mime];
  if (format === undefined) throw bad(`file type ${mime} is not supported by Bedrock upstreams`);
  return { document: { format, name: documentName(file.filename, index), source: { bytes: parsed?.data ?? file.file_data } } };
}

export function contentBlocks(content: unknown, role: string): Block[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return textBlock(content);
  if (!Array.isArray(content)) throw bad(`${role} message content must be a string or an array of parts`);
  const blocks: Block[] = [];
  content.forEach((part, i) => {
    if (!isObject(part)) throw bad(`${role} message content parts must be objects`);
    switch (part.type) {
      case "text":
        blocks.push(...textBlock(part.text));
        break;
      case "refusal":
        break;
      case "image_url":
        if (role !== "user") throw bad("images are only accepted in user messages");
        blocks.push(imageBlock(part));
        break;
      case "file":
        if (role !== "user") throw bad("files are only accepted in user messages");
        blocks.push(documentBlock(part, i));
        break;
      default:
        throw bad(`content part type ${JSON.stringify(part.type)} is not supported by Bedrock upstreams`);
    }
  });
  return blocks;
}

export function plainText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (isObject(p) && p.type === "text" && typeof p.text === "string" ? p.text : "")).join("");
  }
  return "";
}

