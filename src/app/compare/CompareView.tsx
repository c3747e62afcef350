import { useEffect } from 'react';
import { seedCompareFromDraft } from './compare';
import { CompareForm } from './CompareForm';
import { CompareResults } from './CompareColumns';
import { CompareOutputs } from './CompareOutputs';
import { CompareAccuracy } from '../accuracy/CompareAccuracy';

export function CompareView() {
  useEffect(seedCompareFromDraft, []);
  return (
    <div className="flex flex-col gap-5" data-testid="compare-view">
      <CompareForm />
      <CompareResults />
      <CompareOutputs />
      <CompareAccuracy />
    </div>
  );
}
