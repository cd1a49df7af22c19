/** Whole days left as words: "12 days left", "expires today", "expired 3 days ago". */
export function daysLeftText(days: number): string {
  if (days < 0) return `expired ${-days === 1 ? '1 day' : `${(-days).toLocaleString('en')} days`} ago`;
  if (days === 0) return 'expires today';
  return days === 1 ? '1 day left' : `${days.toLocaleString('en')} days left`;
}

/** A file's bytes as base64 (FileReader gives a data: URL; its payload is the base64). */
export function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = typeof reader.result === 'string' ? reader.result : '';
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(new Error(`The file ${file.name} could not be read`));
    reader.readAsDataURL(file);
  });
}

/** Whether the bytes of a file are PEM text (a BEGIN line near the start). */
export async function isPemFile(file: File): Promise<boolean> {
  const head = await file.slice(0, 4096).text();
  return head.includes('-----BEGIN');
}
