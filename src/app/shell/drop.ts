/** Dropping a checkpoint or package folder anywhere on the page opens it. */
import { useUi } from '../shared/ui-store';
import { folderFromDrop } from '../shared/local-folder';
import { openLocalFolder } from '../shared/models';

const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');

export function installDrop(): () => void {
  let depth = 0;
  const enter = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    depth++;
    useUi.setState({ dragging: true });
  };
  const leave = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) useUi.setState({ dragging: false });
  };
  const over = (e: DragEvent) => {
    if (hasFiles(e)) e.preventDefault();
  };
  const drop = (e: DragEvent) => {
    if (!hasFiles(e) || !e.dataTransfer) return;
    e.preventDefault();
    depth = 0;
    useUi.setState({ dragging: false });
    void folderFromDrop(e.dataTransfer).then((folder) => folder && openLocalFolder(folder));
  };
  window.addEventListener('dragenter', enter);
  window.addEventListener('dragleave', leave);
  window.addEventListener('dragover', over);
  window.addEventListener('drop', drop);
  return () => {
    window.removeEventListener('dragenter', enter);
    window.removeEventListener('dragleave', leave);
    window.removeEventListener('dragover', over);
    window.removeEventListener('drop', drop);
  };
}
