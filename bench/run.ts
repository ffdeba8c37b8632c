// `npm run bench`: figures, not pass/fail. Each benchmark prints its own lines.
import { benchAdminList } from './admin-list';
import { benchStackStart } from './local-stack';
import { benchStepFunctionsOverhead } from './stepfunctions-overhead';
import { benchTaskThroughput } from './task-throughput';

await benchStackStart();
await benchStepFunctionsOverhead();
await benchTaskThroughput();
await benchAdminList();
