"""kaiteki benchmarks: ``make bench`` runs them all, ``make bench NAME=<name>`` one."""
