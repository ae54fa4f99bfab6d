import { memoryStore } from '@actorfold/core';
import { describeReplayFidelity } from '../src/index.js';

describeReplayFidelity('memoryStore', () => memoryStore());
