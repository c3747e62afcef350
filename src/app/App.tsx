/** Placeholder until the real app lands. */
export function App() {
  return (
    <main className="mx-auto max-w-2xl p-8">
      <h1 className="text-2xl font-semibold">Text-to-LoRA</h1>
      <p className="mt-2 text-gray-600">Describe a task, get a LoRA adapter.</p>
    </main>
  );
}
