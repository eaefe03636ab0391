"""The bandwidth bound drawn on bus-bandwidth plots.

Bus bandwidth is defined (nccl-tests, doc/PERFORMANCE.md) so that its ceiling is the speed of the slowest link
the collective crosses: a ring all-reduce moves 2(K-1)/K of the buffer over each link, and bus_bw = alg_bw *
2(K-1)/K, so bus_bw <= B. Where that B comes from, in order of preference: a link bandwidth in a measured
document's own config or context, then the cluster description a predicted document was computed for, then a
cluster document given alongside. The legend names the source.
"""

from dataclasses import dataclass

from .describe import cluster_of

# Keys a run's config or context may use for its link bandwidth in GB/s (1e9 B/s of payload).
_LINK_KEYS = ("link_bandwidth_GBps", "bandwidth_GBps", "link_GBps")
_SOURCE_ORDER = ("measured", "predicted", "comparison", "cluster")


@dataclass
class Bound:
    gbps: float
    source: str  # for the legend: where the figure was found

    def label(self):
        return f"link bound {self.gbps:.3g} GB/s ({self.source})"


def _positive(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _hosts_spanned(cluster, ranks):
    """How many hosts the first `ranks` ranks occupy (ranks are placed host by host)."""
    per_host = cluster.get("ranks_per_host")
    per_host = per_host if isinstance(per_host, int) and per_host > 0 else 1
    return -(-ranks // per_host)


def cluster_link_gbps(cluster, ranks):
    """Slowest link bandwidth a K-rank collective crosses on `cluster`, or None when not described.

    Within one host that is the intra-host link; across hosts, the inter-host link or a slower per-host
    override of a host in use.
    """
    links = cluster.get("links", {})
    hosts = _hosts_spanned(cluster, ranks)
    link = links.get("inter_host" if hosts > 1 else "intra_host") or {}
    speeds = [link.get("bandwidth_GBps")]
    if hosts > 1:
        for override in cluster.get("host_overrides") or []:
            if isinstance(override, dict) and isinstance(override.get("host"), int) and override["host"] < hosts:
                speeds.append(override.get("bandwidth_GBps"))
    speeds = [s for s in speeds if _positive(s)]
    return min(speeds) if speeds else None


def _doc_bound(doc, ranks):
    for where in (doc.config, doc.context):
        for key in _LINK_KEYS:
            if _positive(where.get(key)):
                return Bound(float(where[key]), f"{doc.stem}: {key}")
    cluster = cluster_of(doc)
    if cluster:
        gbps = cluster_link_gbps(cluster, ranks)
        if gbps:
            name = cluster.get("name")
            what = f"cluster '{name}'" if name else "cluster"
            return Bound(gbps, f"{what} in {doc.stem}")
    return None


def find_bound(docs, ranks):
    """The bound for a K=`ranks` panel, or None when no document describes the links."""
    for kind in _SOURCE_ORDER:
        for doc in docs:
            if doc.kind == kind:
                bound = _doc_bound(doc, ranks)
                if bound:
                    return bound
    return None
