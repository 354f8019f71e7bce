//! Each fault kind's observable effect, checked on tiny scripted simulations with a constant
//! 1 ms network so every expected time is exact.

mod common;

use std::num::NonZeroU32;

use common::{at_ms, ms, send, Action, Scripted};
use sim_core::{
    ConfigError, CrashProcess, Direction, Distribution, Fault, NetworkConfig, NodeId, NodeSet,
    ServiceModel, SimConfig, SimDuration, SimTime, Simulation,
};

/// A simulation of scripted nodes over a constant 1 ms network.
fn sim_with(nodes: Vec<Scripted>) -> Simulation<Scripted> {
    let mut sim = Simulation::new(SimConfig::with_seed(1));
    for node in nodes {
        sim.add_node(node);
    }
    let one_ms = Distribution::constant(1e6).unwrap();
    sim.set_network(NetworkConfig::new(one_ms)).unwrap();
    sim
}

fn counter(sim: &Simulation<Scripted>, name: &str) -> u64 {
    sim.metrics().counter_by_name(name)
}

// Goal: a crashed node processes nothing (messages to it are dropped as receiver_down, its
// timers never fire), its queued work is counted as lost, and a restart brings it back.
#[test]
fn crash_stops_node_and_loses_its_work() {
    let sender = Scripted::with_script(vec![(ms(10), send(1, 1)), (ms(30), send(1, 2))]);
    let victim = Scripted::with_script(vec![
        (ms(1), Action::Work { payload: 7 }),
        (ms(1), Action::Work { payload: 8 }),
        (ms(15), send(0, 99)), // would fire while down
    ]);
    let mut sim = sim_with(vec![sender, victim]);
    // One worker, 100 ms per item: both items are still in the system at 5 ms.
    let slow = ServiceModel::new(
        "victim",
        NonZeroU32::MIN,
        Distribution::constant(1e8).unwrap(),
    );
    let model = sim.add_service_model(slow);
    sim.set_service(NodeId(1), model).unwrap();
    sim.add_fault(
        at_ms(5),
        Fault::CrashRestart {
            nodes: NodeSet::single(NodeId(1)),
            after: ms(20),
        },
    )
    .unwrap();
    sim.run_until(at_ms(100)).unwrap();

    let victim = sim.node(NodeId(1));
    assert_eq!(victim.crashes, 1);
    assert_eq!(victim.restarts, 1);
    assert_eq!(
        victim.payloads(),
        vec![2],
        "message 1 arrived at 11 ms while down"
    );
    assert!(victim.finished.is_empty(), "work was lost in the crash");
    assert_eq!(
        victim.timers_fired, 2,
        "the 15 ms timer was dropped by the crash"
    );
    assert_eq!(counter(&sim, "work.lost.crash"), 2);
    assert_eq!(counter(&sim, "net.dropped.receiver_down"), 1);
    assert!(sim.node(NodeId(0)).received.is_empty());
    let log = sim.fault_log();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].time, log[0].end), (at_ms(5), Some(at_ms(25))));
    assert_eq!(counter(&sim, "faults.fired.crash_restart"), 1);
}

// Goal: a one-way partition drops only its direction; heal restores delivery.
#[test]
fn one_way_partition_then_heal() {
    let a = Scripted::with_script(vec![(ms(10), send(1, 1)), (ms(30), send(1, 3))]);
    let b = Scripted::with_script(vec![(ms(10), send(0, 2)), (ms(30), send(0, 4))]);
    let mut sim = sim_with(vec![a, b]);
    sim.add_fault(
        at_ms(5),
        Fault::Partition {
            name: "a->b".into(),
            from: NodeSet::single(NodeId(0)),
            to: NodeSet::single(NodeId(1)),
            direction: Direction::OneWay,
            duration: None,
        },
    )
    .unwrap();
    sim.add_fault(
        at_ms(20),
        Fault::Heal {
            name: Some("a->b".into()),
        },
    )
    .unwrap();
    sim.run_until(at_ms(100)).unwrap();
    assert_eq!(
        sim.node(NodeId(1)).payloads(),
        vec![3],
        "a->b blocked until the heal"
    );
    assert_eq!(
        sim.node(NodeId(0)).payloads(),
        vec![2, 4],
        "b->a never blocked"
    );
    assert_eq!(counter(&sim, "net.dropped.partition"), 1);
    assert_eq!(
        sim.fault_log()[0].end,
        Some(at_ms(20)),
        "heal closes the record"
    );
}

// Goal: a message already in flight when a partition starts is dropped at delivery, and a
// symmetric partition with a duration heals itself.
#[test]
fn partition_drops_in_flight_messages_and_expires() {
    let a = Scripted::with_script(vec![(ms(10), send(1, 1)), (ms(40), send(1, 2))]);
    let b = Scripted::with_script(vec![(ms(20), send(0, 3))]);
    let mut sim = sim_with(vec![a, b]);
    let mut split = Fault::split(
        "halves",
        NodeSet::single(NodeId(0)),
        NodeSet::single(NodeId(1)),
    );
    if let Fault::Partition { duration, .. } = &mut split {
        *duration = Some(ms(25));
    }
    // The first message leaves at 10 ms and would arrive at 11 ms; the partition starts between.
    sim.add_fault(SimTime(10_500_000), split).unwrap();
    sim.run_until(at_ms(100)).unwrap();
    assert_eq!(sim.node(NodeId(1)).payloads(), vec![2]);
    assert!(
        sim.node(NodeId(0)).received.is_empty(),
        "both directions blocked"
    );
    assert_eq!(counter(&sim, "net.dropped.partition"), 2);
}

// Goal: isolating a node cuts it off both ways while others still talk.
#[test]
fn isolate_cuts_one_node_off() {
    let a = Scripted::with_script(vec![(ms(10), send(1, 1)), (ms(10), send(2, 2))]);
    let mut sim = sim_with(vec![a, Scripted::default(), Scripted::default()]);
    sim.add_fault(at_ms(1), Fault::isolate("lonely", NodeId(2), 3))
        .unwrap();
    sim.run_until(at_ms(100)).unwrap();
    assert_eq!(sim.node(NodeId(1)).payloads(), vec![1]);
    assert!(sim.node(NodeId(2)).received.is_empty());
}

// Goal: clock skew shifts the node's local clock (step plus drift) and nothing else: the
// message still arrives at the same simulated time.
#[test]
fn clock_skew_shifts_local_clock_only() {
    let a = Scripted::with_script(vec![(ms(1000), send(1, 1))]);
    let mut sim = sim_with(vec![a, Scripted::default()]);
    sim.add_fault(
        SimTime::ZERO,
        Fault::ClockSkew {
            nodes: NodeSet::single(NodeId(1)),
            offset_ns: 5_000_000,
            drift_ppm: 100.0,
        },
    )
    .unwrap();
    sim.run_until(at_ms(2000)).unwrap();
    let b = sim.node(NodeId(1));
    assert_eq!(b.received[0].0, at_ms(1001), "simulated time unaffected");
    // local = now + 5 ms + 100 ppm * 1001 ms = 1001 ms + 5 ms + 100.1 us.
    assert_eq!(b.local_clock_at_receipt[0], SimTime(1_006_100_100));
}

// Goal: link degradation adds latency for its window only, and its loss drops messages.
#[test]
fn link_degradation_adds_latency_for_a_window() {
    let a = Scripted::with_script(vec![
        (ms(10), send(1, 1)),
        (ms(50), send(1, 2)),
        (ms(50), send(2, 3)),
        (ms(200), send(1, 4)),
    ]);
    let mut sim = sim_with(vec![a, Scripted::default(), Scripted::default()]);
    sim.add_fault(
        at_ms(20),
        Fault::LinkDegrade {
            from: NodeSet::single(NodeId(0)),
            to: NodeSet::single(NodeId(1)),
            extra_latency: ms(30),
            loss: 0.0,
            duplicate: 0.0,
            duration: ms(100),
        },
    )
    .unwrap();
    sim.add_fault(
        at_ms(20),
        Fault::LinkDegrade {
            from: NodeSet::single(NodeId(0)),
            to: NodeSet::single(NodeId(2)),
            extra_latency: SimDuration::ZERO,
            loss: 1.0,
            duplicate: 0.0,
            duration: ms(100),
        },
    )
    .unwrap();
    sim.run_until(at_ms(300)).unwrap();
    let times: Vec<_> = sim.node(NodeId(1)).received.iter().map(|r| r.0).collect();
    assert_eq!(times, vec![at_ms(11), at_ms(81), at_ms(201)]);
    assert!(sim.node(NodeId(2)).received.is_empty());
    assert_eq!(counter(&sim, "net.dropped.loss"), 1);
}

// Goal: a slow-node fault multiplies service times inside its window only.
#[test]
fn slow_node_multiplies_service_time() {
    let node = Scripted::with_script(vec![
        (ms(0), Action::Work { payload: 1 }),
        (ms(100), Action::Work { payload: 2 }),
        (ms(300), Action::Work { payload: 3 }),
    ]);
    let mut sim = sim_with(vec![node]);
    let model = sim.add_service_model(ServiceModel::new(
        "s",
        NonZeroU32::MIN,
        Distribution::constant(1e7).unwrap(), // 10 ms
    ));
    sim.set_service(NodeId(0), model).unwrap();
    sim.add_fault(
        at_ms(50),
        Fault::SlowNode {
            nodes: NodeSet::single(NodeId(0)),
            factor: 5.0,
            duration: ms(100),
        },
    )
    .unwrap();
    sim.run_until(at_ms(1000)).unwrap();
    let done: Vec<_> = sim.node(NodeId(0)).finished.iter().map(|f| f.0).collect();
    assert_eq!(done, vec![at_ms(10), at_ms(150), at_ms(310)]);
}

// Goal: after overlapping slow windows end, the factor is exactly 1 again. Method: windows of
// x1.5 and x0.3 overlap (multiplying in and dividing out would leave 0.9999999999999998), then
// a job of 2^52 ns starts; a factor off by one ulp would finish it 1 ns early. Invariant checks
// run after every event (`set_paranoid`), so the factor equals the product of the active
// windows throughout.
#[test]
fn slow_factor_returns_to_exactly_one() {
    let node = Scripted::with_script(vec![(ms(100), Action::Work { payload: 1 })]);
    let mut sim = sim_with(vec![node]);
    let two_pow_52 = (1u64 << 52) as f64;
    let model = sim.add_service_model(ServiceModel::new(
        "s",
        NonZeroU32::MIN,
        Distribution::constant(two_pow_52).unwrap(),
    ));
    sim.set_service(NodeId(0), model).unwrap();
    for (at, factor, duration) in [(10, 1.5, 20), (15, 0.3, 10)] {
        let fault = Fault::SlowNode {
            nodes: NodeSet::single(NodeId(0)),
            factor,
            duration: ms(duration),
        };
        sim.add_fault(at_ms(at), fault).unwrap();
    }
    sim.set_paranoid(std::num::NonZeroU64::new(1));
    sim.run_until_idle().unwrap();
    let done: Vec<_> = sim.node(NodeId(0)).finished.iter().map(|f| f.0).collect();
    assert_eq!(done, vec![at_ms(100) + SimDuration::from_nanos(1 << 52)]);
    assert_eq!(counter(&sim, "faults.fired.slow_node"), 2);
}

// Goal: a region outage crashes exactly the region's nodes and restarts them after its window.
#[test]
fn region_outage_takes_down_one_region() {
    let mut sim: Simulation<Scripted> = Simulation::new(SimConfig::with_seed(1));
    let east = sim.topology_mut().add_region("east");
    let west = sim.topology_mut().add_region("west");
    let east_a = sim.topology_mut().add_zone(east, "east-a").unwrap();
    let west_a = sim.topology_mut().add_zone(west, "west-a").unwrap();
    let sender = Scripted::with_script(vec![
        (ms(20), send(1, 1)),
        (ms(20), send(2, 2)),
        (ms(80), send(1, 3)),
    ]);
    sim.add_node_in(west_a, sender).unwrap();
    sim.add_node_in(east_a, Scripted::default()).unwrap();
    sim.add_node_in(west_a, Scripted::default()).unwrap();
    sim.set_network(NetworkConfig::new(Distribution::constant(1e6).unwrap()))
        .unwrap();
    sim.add_fault(
        at_ms(10),
        Fault::RegionOutage {
            region: east,
            duration: Some(ms(50)),
        },
    )
    .unwrap();
    sim.run_until(at_ms(100)).unwrap();
    assert_eq!(sim.node(NodeId(1)).payloads(), vec![3]);
    assert_eq!(sim.node(NodeId(1)).crashes, 1);
    assert_eq!(sim.node(NodeId(2)).payloads(), vec![2]);
    assert_eq!(sim.node(NodeId(2)).crashes, 0);
}

// Goal: random crash processes crash and repair nodes, every event is logged, and a node's
// failure times do not change when another node is added (per-node streams).
#[test]
fn crash_process_is_logged_and_per_node_stable() {
    let run = |n_nodes: u32| {
        let mut sim = sim_with((0..n_nodes).map(|_| Scripted::default()).collect());
        sim.add_crash_process(CrashProcess {
            nodes: NodeSet::all(n_nodes),
            mtbf: SimDuration::from_secs(10),
            mttr: SimDuration::from_secs(1),
        })
        .unwrap();
        sim.run_until(SimTime::ZERO + SimDuration::from_secs(100))
            .unwrap();
        let node0: Vec<_> = sim
            .fault_log()
            .iter()
            .filter(|r| r.description.contains("node 0"))
            .map(|r| (r.time, r.kind))
            .collect();
        (node0, sim.fault_log().len(), sim.node(NodeId(0)).crashes)
    };
    let (small, small_total, crashes) = run(2);
    let (large, large_total, _) = run(5);
    assert!(
        crashes >= 3,
        "100 s at a 10 s MTBF: expected several crashes, got {crashes}"
    );
    assert_eq!(
        small, large,
        "node 0's failures do not depend on the other nodes"
    );
    assert!(large_total > small_total);
}

// Goal: bad fault input is a typed error naming the value, never a panic.
#[test]
fn bad_faults_are_errors() {
    let mut sim = sim_with(vec![Scripted::default(), Scripted::default()]);
    let unknown = sim.add_fault(
        at_ms(1),
        Fault::Crash {
            nodes: NodeSet::single(NodeId(9)),
        },
    );
    assert!(matches!(
        unknown,
        Err(ConfigError::UnknownNode {
            node: NodeId(9),
            n_nodes: 2,
            ..
        })
    ));
    let message = unknown.unwrap_err().to_string();
    assert!(
        message.contains("node 9") && message.contains("2 nodes"),
        "{message}"
    );

    let bad_loss = sim.add_fault(
        at_ms(1),
        Fault::LinkDegrade {
            from: NodeSet::single(NodeId(0)),
            to: NodeSet::single(NodeId(1)),
            extra_latency: SimDuration::ZERO,
            loss: 1.5,
            duplicate: 0.0,
            duration: ms(1),
        },
    );
    assert!(bad_loss
        .unwrap_err()
        .to_string()
        .contains("[0, 1], got 1.5"));
    let nan_factor = sim.add_fault(
        at_ms(1),
        Fault::SlowNode {
            nodes: NodeSet::single(NodeId(0)),
            factor: f64::NAN,
            duration: ms(1),
        },
    );
    assert!(nan_factor.unwrap_err().to_string().contains("got NaN"));
    let region = sim.add_fault(
        at_ms(1),
        Fault::RegionOutage {
            region: sim_core::RegionId(4),
            duration: None,
        },
    );
    assert!(region.unwrap_err().to_string().contains("region 4"));
    let empty = sim.add_fault(
        at_ms(1),
        Fault::Crash {
            nodes: NodeSet::new(),
        },
    );
    assert!(empty.unwrap_err().to_string().contains("selects no nodes"));
}

// Goal: the end of an outage restarts only the nodes the outage took down; a node crashed for
// good before it stays down (a restart must not undo an unrelated crash).
#[test]
fn outage_end_restarts_only_what_it_crashed() {
    let mut sim: Simulation<Scripted> = Simulation::new(SimConfig::with_seed(1));
    let east = sim.topology_mut().add_region("east");
    let zone = sim.topology_mut().add_zone(east, "east-a").unwrap();
    for _ in 0..3 {
        sim.add_node_in(zone, Scripted::default()).unwrap();
    }
    sim.add_fault(
        at_ms(5),
        Fault::Crash {
            nodes: NodeSet::single(NodeId(0)),
        },
    )
    .unwrap();
    sim.add_fault(
        at_ms(10),
        Fault::RegionOutage {
            region: east,
            duration: Some(ms(10)),
        },
    )
    .unwrap();
    sim.add_fault(
        at_ms(12),
        Fault::CrashRestart {
            nodes: NodeSet::range(1, 3),
            after: ms(100),
        },
    )
    .unwrap();
    sim.run_until(at_ms(50)).unwrap();
    assert!(
        !sim.node_stats(NodeId(0)).up,
        "crashed for good before the outage"
    );
    assert!(
        sim.node_stats(NodeId(1)).up,
        "taken down by the outage, restarted at its end"
    );
    assert_eq!(sim.node(NodeId(1)).restarts, 1);
    assert_eq!(sim.node(NodeId(0)).restarts, 0);
    assert_eq!(sim.node(NodeId(0)).crashes, 1);
    sim.run_until(at_ms(200)).unwrap();
    // The crash-restart at 12 ms found nodes 1 and 2 already down, so its end restarts nothing.
    assert_eq!(sim.node(NodeId(1)).restarts, 1);
}
