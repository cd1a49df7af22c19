import type { DownloadedFile } from './api';

/** Saves a downloaded file through an object URL, revoked right after the browser takes it. */
export function saveFile(file: DownloadedFile): void {
  const url = URL.createObjectURL(file.blob);
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = file.fileName;
    link.rel = 'noopener';
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}

/** The text of a file the user chose (a key or certificate), read in the browser. */
export function readTextFile(file: File, maxBytes: number): Promise<string> {
  if (file.size > maxBytes) {
    return Promise.reject(new Error(`The file is larger than ${Math.floor(maxBytes / 1024)} KB`));
  }
  return file.text();
}
