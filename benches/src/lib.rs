//! Shared workloads for distsim's benchmarks, so that the criterion benches and the peer
//! comparison scripts measure the same thing.
