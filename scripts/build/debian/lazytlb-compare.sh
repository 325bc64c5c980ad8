#!/bin/sh
# lazytlb-compare finds its workloads and its awk script next to itself.
exec /usr/lib/lazytlb/lazytlb-compare "$@"
