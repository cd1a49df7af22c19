import { useEffect, useRef, type ReactNode } from 'react';

/**
 * The page's h1. It takes the focus when it appears, so a screen-reader user hears where a screen
 * change led and keyboard users start from the top of the new screen; the document title follows.
 */
export function Heading({ children, title }: { children: ReactNode; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} – Bulwark`;
    ref.current?.focus();
  }, [title]);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-heading">
      {children}
    </h1>
  );
}
