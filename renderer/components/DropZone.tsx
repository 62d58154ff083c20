import { type ChangeEvent, type DragEvent, type ReactNode, useState } from 'react';

/**
 * A dashed area to drop a file on, with a file picker inside for the same file; `children` are further ways placed
 * beside the picker. The window only hands the file on: main reads and checks it.
 */
export function DropZone({
  label,
  prompt,
  choose,
  accept,
  onFile,
  children,
}: {
  /** The area's accessible name. */
  label: string;
  prompt: string;
  /** The picker button's words. */
  choose: string;
  accept: string;
  onFile: (file: File) => void;
  children?: ReactNode;
}) {
  const [dragging, setDragging] = useState(false);

  function picked(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    // cleared so choosing the same file again is a change too
    event.target.value = '';
    if (file !== undefined) onFile(file);
  }

  function dropped(event: DragEvent<HTMLElement>) {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file !== undefined) onFile(file);
  }

  return (
    <section
      className={dragging ? 'drop-zone dragging' : 'drop-zone'}
      aria-label={label}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={dropped}
    >
      <p>{prompt}</p>
      <label className="file-picker">
        <span>{choose}</span>
        <input type="file" accept={accept} onChange={picked} />
      </label>
      {children}
    </section>
  );
}
