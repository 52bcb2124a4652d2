// The service as `npm start` runs it (src/service/run.ts), with the soak's handlers instead of
// those of src/handlers/: the service loads its handlers from src/handlers/index.ts, through
// src/main.ts, and no setting points it at another module, so the soak has an entry of its own,
// as the process tests' scenarios do.
import { runService } from '../../src/service/run.ts';
import { registerSoakHandlers } from './handlers.ts';

await runService(registerSoakHandlers);
