import { stopSharedServices } from "./sharedServices";

after(async () => {
  await stopSharedServices();
});
