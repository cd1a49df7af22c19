import { randomBytes } from 'node:crypto';

/** A multipart/form-data body as PMP clients send files (a text part, a file part). */
export function multipart(parts: readonly { name: string; value: string; fileName?: string }[]) {
  const boundary = `----B${randomBytes(8).toString('hex')}`;
  let body = '';
  for (const part of parts) {
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.fileName !== undefined)
      body += `; filename="${part.fileName}"\r\nContent-Type: application/octet-stream`;
    body += `\r\n\r\n${part.value}\r\n`;
  }
  body += `--${boundary}--\r\n`;
  return { contentType: `multipart/form-data; boundary=${boundary}`, body };
}
