import { useUi } from '../shared/ui-store';

export function DropOverlay() {
  const dragging = useUi((s) => s.dragging);
  if (!dragging) return null;
  return (
    <div className="pointer-events-none fixed inset-0 z-50 grid place-items-center bg-indigo-600/10 backdrop-blur-[1px]">
      <div className="rounded-2xl border-2 border-dashed border-indigo-500 bg-white/90 px-10 py-8 text-center shadow-lg dark:bg-zinc-900/90">
        <p className="text-base font-semibold text-indigo-700 dark:text-indigo-300">
          Drop a T2L folder
        </p>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-300">
          A checkpoint (hypermod.pt, args.yaml, adapter_config.json) or a package (t2l.json,
          model.onnx). It stays on your machine.
        </p>
      </div>
    </div>
  );
}
