/* Preloaded into MPI ranks by `scripts/cluster mpiexec` (LD_PRELOAD) to bound a finalize deadlock.
 *
 * Why: MPICH 4.0.x's UCX netmod finalizes by closing every endpoint with ucp_disconnect_nb, spinning in
 * ucp_worker_progress until every close request completes, and only then entering a PMI barrier. Over UCX
 * 1.13's TCP transport a close can need the peer to progress, but a peer that finished its own closes first
 * sits in the PMI barrier and never progresses again. On this testbed (3 or 4 hosts, a ring exchange or an
 * MPI_Allreduce, then MPI_Finalize) 15-65% of runs hung after all their work was done, more on a busier
 * machine; 2 hosts never did. Upstream MPICH later moved the barrier before the disconnects.
 *
 * What: once the first ucp_disconnect_nb has been issued, ucp_request_is_completed reports a request that is
 * still pending as complete after CCB_FINALIZE_GRACE_S seconds (default 1). MPICH then releases it (UCX frees
 * a released request when it completes), reaches the barrier, and destroys the worker, which closes the
 * sockets. Nothing changes before finalize starts. Both functions are resolved with dlsym(RTLD_NEXT) so the
 * library links against no UCX header and is harmless in processes that do not use UCX (mpiexec, proxies).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

typedef void* (*DisconnectFn)(void* ep);
typedef int (*IsCompletedFn)(void* request);

static double finalizeStartS = -1.0;

static double monotonicS(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static double graceS(void) {
  const char* text = getenv("CCB_FINALIZE_GRACE_S");
  double value = text ? strtod(text, NULL) : 0.0;
  return value > 0.0 ? value : 1.0;
}

/* Same contract as UCX's ucp_disconnect_nb; also marks the start of MPICH's disconnect phase. */
void* ucp_disconnect_nb(void* ep) {
  static DisconnectFn real;
  if (!real) real = (DisconnectFn)dlsym(RTLD_NEXT, "ucp_disconnect_nb");
  if (finalizeStartS < 0.0) finalizeStartS = monotonicS();
  return real(ep);
}

/* UCX's answer, except that during finalize a request pending longer than the grace period counts as done. */
int ucp_request_is_completed(void* request) {
  static IsCompletedFn real;
  if (!real) real = (IsCompletedFn)dlsym(RTLD_NEXT, "ucp_request_is_completed");
  if (real(request)) return 1;
  return finalizeStartS >= 0.0 && monotonicS() - finalizeStartS > graceS();
}
