/** The session store failed or did not answer in time. Handlers answer STORE_UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
}
