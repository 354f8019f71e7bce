//! The network model: latency rule precedence, bandwidth, loss rate, duplication and FIFO.

mod common;

use common::{at_ms, ms, send, Action, Scripted};
use sim_core::{Distribution, NetworkConfig, NodeId, SimConfig, SimDuration, SimTime, Simulation};

fn constant_ms(n: f64) -> Distribution {
    Distribution::constant(n * 1e6).unwrap()
}

// Goal: the most specific rule wins: node pair > zone pair > region pair > default.
#[test]
fn latency_rule_precedence() {
    let mut sim: Simulation<Scripted> = Simulation::new(SimConfig::with_seed(3));
    let eu = sim.topology_mut().add_region("eu");
    let us = sim.topology_mut().add_region("us");
    let eu_a = sim.topology_mut().add_zone(eu, "eu-a").unwrap();
    let eu_b = sim.topology_mut().add_zone(eu, "eu-b").unwrap();
    let us_a = sim.topology_mut().add_zone(us, "us-a").unwrap();
    let script = (1..=4).map(|to| (ms(0), send(to, u64::from(to)))).collect();
    sim.add_node_in(eu_a, Scripted::with_script(script))
        .unwrap();
    sim.add_node_in(eu_a, Scripted::default()).unwrap(); // same zone: zone rule
    sim.add_node_in(eu_b, Scripted::default()).unwrap(); // other zone, same region: region rule
    sim.add_node_in(us_a, Scripted::default()).unwrap(); // other region: default
    sim.add_node_in(us_a, Scripted::default()).unwrap(); // node-pair rule overrides all
    let mut network = NetworkConfig::new(constant_ms(70.0));
    network.region_latency(eu, eu, constant_ms(2.0));
    network.zone_latency(eu_a, eu_a, constant_ms(0.5));
    network.node_latency(NodeId(4), NodeId(0), constant_ms(9.0)); // symmetric
    sim.set_network(network).unwrap();
    sim.run_until(at_ms(100)).unwrap();
    let arrival = |n: u32| sim.node(NodeId(n)).received[0].0;
    assert_eq!(arrival(1), SimTime(500_000));
    assert_eq!(arrival(2), at_ms(2));
    assert_eq!(arrival(3), at_ms(70));
    assert_eq!(arrival(4), at_ms(9));
}

// Goal: serialization delay is size * 8 / bandwidth, and a sender's messages queue behind
// each other on its link. 1 Mbit/s, 12 500-byte messages: 100 ms each on the wire.
#[test]
fn bandwidth_serializes_and_queues_per_sender() {
    let big = |payload| Action::Send {
        to: NodeId(1),
        payload,
        size: 12_500,
    };
    let a = Scripted::with_script(vec![(ms(0), big(1)), (ms(0), big(2)), (ms(250), big(3))]);
    let mut sim = Simulation::new(SimConfig::with_seed(1));
    sim.add_node(a);
    sim.add_node(Scripted::default());
    let mut network = NetworkConfig::new(constant_ms(1.0));
    network.set_bandwidth_bps(Some(1_000_000)).unwrap();
    sim.set_network(network).unwrap();
    sim.run_until(at_ms(1000)).unwrap();
    let times: Vec<_> = sim.node(NodeId(1)).received.iter().map(|r| r.0).collect();
    assert_eq!(times, vec![at_ms(101), at_ms(201), at_ms(351)]);
}

/// Node 0 sends `n` messages to node 1, one per millisecond.
fn stream_sim(n: u64, network: NetworkConfig, seed: u64) -> Simulation<Scripted> {
    let script = (0..n).map(|i| (ms(i), send(1, i))).collect();
    let mut sim = Simulation::new(SimConfig::with_seed(seed));
    sim.add_node(Scripted::with_script(script));
    sim.add_node(Scripted::default());
    sim.set_network(network).unwrap();
    sim.run_until_idle().unwrap();
    sim
}

// Goal: the observed loss rate matches the configured probability. With n = 20 000 trials at
// p = 0.1 the binomial standard deviation of the count is sqrt(n p (1-p)) = 42.4; we allow 5
// of them (a false failure about once in 3.5 million seeds).
#[test]
fn loss_rate_matches_probability() {
    let n = 20_000u64;
    let mut network = NetworkConfig::new(constant_ms(1.0));
    network.set_loss(0.1).unwrap();
    let sim = stream_sim(n, network, 11);
    let dropped = sim.metrics().counter_by_name("net.dropped.loss");
    let delivered = sim.node(NodeId(1)).received.len() as u64;
    assert_eq!(
        dropped + delivered,
        n,
        "every message is either lost or delivered"
    );
    let sd = (n as f64 * 0.1 * 0.9).sqrt();
    assert!(
        (dropped as f64 - 0.1 * n as f64).abs() < 5.0 * sd,
        "dropped {dropped} of {n}"
    );
}

// Goal: duplication delivers extra copies at the configured rate (same binomial bound).
#[test]
fn duplication_rate_matches_probability() {
    let n = 20_000u64;
    let mut network = NetworkConfig::new(constant_ms(1.0));
    network.set_duplicate(0.05).unwrap();
    let sim = stream_sim(n, network, 12);
    let copies = sim.node(NodeId(1)).received.len() as u64 - n;
    assert_eq!(copies, sim.metrics().counter_by_name("net.duplicated"));
    let sd = (n as f64 * 0.05 * 0.95).sqrt();
    assert!(
        (copies as f64 - 0.05 * n as f64).abs() < 5.0 * sd,
        "{copies} copies"
    );
}

// Goal: with latencies far wider than the send interval, messages reorder without FIFO and
// arrive in send order with it.
#[test]
fn fifo_option_preserves_send_order() {
    let jittery = || NetworkConfig::new(Distribution::uniform(0.0, 50e6).unwrap());
    let unordered = stream_sim(500, jittery(), 5);
    let payloads = unordered.node(NodeId(1)).payloads();
    assert!(
        payloads.windows(2).any(|w| w[0] > w[1]),
        "expected reordering without FIFO"
    );
    let mut fifo = jittery();
    fifo.set_fifo(true);
    let ordered = stream_sim(500, fifo, 5);
    let payloads = ordered.node(NodeId(1)).payloads();
    assert_eq!(payloads, (0..500).collect::<Vec<_>>());
}

// Goal: sampled latencies follow the rule's distribution: the mean one-way latency of an
// exponential 2 ms link is within 5 standard errors (sd = mean for an exponential).
#[test]
fn sampled_latency_follows_distribution() {
    let n = 10_000u64;
    let sim = stream_sim(
        n,
        NetworkConfig::new(Distribution::exponential(2e6).unwrap()),
        8,
    );
    let received = &sim.node(NodeId(1)).received;
    let total: f64 = received
        .iter()
        .map(|(t, _, payload)| (*t - (SimTime::ZERO + SimDuration::from_millis(*payload))).0 as f64)
        .sum();
    let mean = total / n as f64;
    let standard_error = 2e6 / (n as f64).sqrt();
    assert!(
        (mean - 2e6).abs() < 5.0 * standard_error,
        "mean latency {mean} ns"
    );
}

// Goal: invalid network parameters are typed errors that name the value.
#[test]
fn bad_network_parameters_are_errors() {
    let mut network = NetworkConfig::new(constant_ms(1.0));
    assert!(network
        .set_loss(-0.1)
        .unwrap_err()
        .to_string()
        .contains("got -0.1"));
    assert!(network
        .set_duplicate(f64::NAN)
        .unwrap_err()
        .to_string()
        .contains("NaN"));
    assert!(network.set_bandwidth_bps(Some(0)).is_err());
    network.node_latency(NodeId(0), NodeId(5), constant_ms(1.0));
    let mut sim: Simulation<Scripted> = Simulation::new(SimConfig::with_seed(1));
    sim.add_node(Scripted::default());
    let message = sim.set_network(network).unwrap_err().to_string();
    assert!(message.contains("node 5"), "{message}");
}
