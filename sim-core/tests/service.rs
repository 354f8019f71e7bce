//! Node resources: workers, FIFO order, bounded queues, and M/M/1 against queueing theory.

mod common;

use std::num::NonZeroU32;

use common::{at_ms, ms, Action, Scripted};
use sim_core::{
    Admission, Codel, CompletedWork, Ctx, Distribution, Message, Node, NodeId, OpKind, Overflow,
    QueuePolicy, ServiceModel, SimConfig, Simulation, TimerTag,
};

fn constant_ms(n: f64) -> Distribution {
    Distribution::constant(n * 1e6).unwrap()
}

fn work_at_zero(n: u64) -> Scripted {
    Scripted::with_script(
        (0..n)
            .map(|i| (ms(0), Action::Work { payload: i }))
            .collect(),
    )
}

// Goal: k workers serve k items at once; the rest wait in FIFO order.
#[test]
fn workers_serve_in_parallel_then_fifo() {
    let mut sim = Simulation::new(SimConfig::with_seed(1));
    let node = sim.add_node(work_at_zero(5));
    let two = NonZeroU32::new(2).unwrap();
    let model = sim.add_service_model(ServiceModel::new("two", two, constant_ms(10.0)));
    sim.set_service(node, model).unwrap();
    sim.run_until_idle().unwrap();
    let finished: Vec<_> = sim
        .node(node)
        .finished
        .iter()
        .map(|f| (f.0, f.1, f.3))
        .collect();
    assert_eq!(
        finished,
        vec![
            (at_ms(10), 0, at_ms(0)),
            (at_ms(10), 1, at_ms(0)),
            (at_ms(20), 2, at_ms(10)),
            (at_ms(20), 3, at_ms(10)),
            (at_ms(30), 4, at_ms(20)),
        ]
    );
    let wait = sim.metrics().histogram_by_name("service.two.wait").unwrap();
    assert_eq!(wait.len(), 5);
    assert_eq!(sim.node_stats(node).busy_ns, 50_000_000);
    assert_eq!(sim.node_stats(node).work_completed, 5);
}

// Goal: with contention, an item's service time grows by the per-job amount for every other
// item in service when it starts: 2 workers, 10 ms + 5 ms per other job, 4 items at 0. The
// first starts alone (10 ms), the second beside it (15 ms); at 10 ms the third starts beside
// the second (15 ms, done at 25), at 15 ms the fourth beside the third (done at 30).
#[test]
fn contention_adds_service_time_per_concurrent_job() {
    let mut sim = Simulation::new(SimConfig::with_seed(1));
    let node = sim.add_node(work_at_zero(4));
    let two = NonZeroU32::new(2).unwrap();
    let model = ServiceModel::new("busy", two, constant_ms(10.0)).with_contention(ms(5));
    let model = sim.add_service_model(model);
    sim.set_service(node, model).unwrap();
    sim.run_until_idle().unwrap();
    let finished: Vec<_> = sim.node(node).finished.iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(
        finished,
        vec![
            (at_ms(10), 0),
            (at_ms(15), 1),
            (at_ms(25), 2),
            (at_ms(30), 3)
        ]
    );
    assert_eq!(sim.node_stats(node).busy_ns, 55_000_000);
}

// Goal: the queue policies, by hand, with one 10 ms worker and 5 items at 0 ms:
// - FIFO serves 0, 1, 2, 3, 4;
// - adaptive LIFO above 1 waiting takes the newest while more than one waits: 0 (at once),
//   then 4, 3, 2 (three, two waiting), then 1;
// - a 25 ms queue timeout drops what waited longer: 0 at 0, 1 at 10, 2 at 20, then 3
//   (waited 30) and 4 (30) are dropped when the worker frees at 30;
// - CoDel with target 5 ms and interval 15 ms: the queue was empty at 0 (item 0 started at
//   once), so until 15 ms an item may wait 15 ms: 1 starts at 10; at 20 the queue has not
//   been empty for 20 ms, so only 5 ms is allowed and 2, 3, 4 (20 ms waited) are dropped.
#[test]
fn queue_policies_reorder_and_shed() {
    let one = NonZeroU32::new(1).unwrap();
    let served = |policy: QueuePolicy| {
        let mut sim = Simulation::new(SimConfig::with_seed(1));
        let node = sim.add_node(work_at_zero(5));
        let model = ServiceModel::new("q", one, constant_ms(10.0)).with_queue_policy(policy);
        let model = sim.add_service_model(model);
        sim.set_service(node, model).unwrap();
        sim.run_until_idle().unwrap();
        let order: Vec<u64> = sim.node(node).finished.iter().map(|f| f.1).collect();
        let expired = sim.metrics().counter_by_name("work.dropped.expired");
        (order, expired)
    };
    assert_eq!(served(QueuePolicy::default()), (vec![0, 1, 2, 3, 4], 0));
    let lifo = QueuePolicy {
        lifo_above: Some(1),
        ..QueuePolicy::default()
    };
    assert_eq!(served(lifo), (vec![0, 4, 3, 2, 1], 0));
    let timeout = QueuePolicy {
        timeout: Some(ms(25)),
        ..QueuePolicy::default()
    };
    assert_eq!(served(timeout), (vec![0, 1, 2], 2));
    let codel = QueuePolicy {
        codel: Some(Codel {
            target: ms(5),
            interval: ms(15),
        }),
        ..QueuePolicy::default()
    };
    assert_eq!(served(codel), (vec![0, 1], 3));
}

/// Submits `n` items at once and reports each admission.
struct Burst {
    n: u64,
    admissions: Vec<&'static str>,
}

impl Node for Burst {
    type Msg = common::Note;
    fn on_start(&mut self, ctx: &mut Ctx<'_, common::Note>) {
        for payload in 0..self.n {
            let admission = ctx.submit_work(OpKind(0), common::Note { payload, size: 0 });
            self.admissions.push(match admission {
                Admission::Started => "started",
                Admission::Queued => "queued",
                Admission::Rejected(_) => "rejected",
                Admission::Dropped => "dropped",
                Admission::NoService(_) => "no service",
            });
        }
    }
    fn on_message(&mut self, _: &mut Ctx<'_, common::Note>, _: NodeId, _: common::Note) {}
}

// Goal: a bounded queue rejects (handing the item back) or drops, as configured, and counts it.
#[test]
fn bounded_queue_rejects_or_drops() {
    for (overflow, last, counter) in [
        (Overflow::Reject, "rejected", "work.rejected"),
        (Overflow::Drop, "dropped", "work.dropped.queue_full"),
    ] {
        let mut sim = Simulation::new(SimConfig::with_seed(1));
        let node = sim.add_node(Burst {
            n: 4,
            admissions: Vec::new(),
        });
        let model = ServiceModel::new("bounded", NonZeroU32::MIN, constant_ms(1.0))
            .with_queue_capacity(2, overflow);
        let model = sim.add_service_model(model);
        sim.set_service(node, model).unwrap();
        sim.run_until_idle().unwrap();
        assert_eq!(
            sim.node(node).admissions,
            ["started", "queued", "queued", last]
        );
        assert_eq!(sim.metrics().counter_by_name(counter), 1);
    }
    let mut sim = Simulation::new(SimConfig::with_seed(1));
    let node = sim.add_node(Burst {
        n: 1,
        admissions: Vec::new(),
    });
    sim.run_until_idle().unwrap();
    assert_eq!(sim.node(node).admissions, ["no service"]);
}

// Goal: each operation kind gets its own service time.
#[test]
fn op_kinds_have_their_own_service_times() {
    let model = ServiceModel::new("ops", NonZeroU32::MIN, constant_ms(1.0))
        .with_op_times(vec![constant_ms(1.0), constant_ms(7.0)])
        .unwrap();
    assert_eq!(model.n_ops(), 2);
    assert_eq!(model.op_time(OpKind(1)).unwrap().mean(), Some(7e6));
    assert!(model.op_time(OpKind(2)).is_none());
    assert!(
        ServiceModel::new("empty", NonZeroU32::MIN, constant_ms(1.0))
            .with_op_times(vec![])
            .is_err()
    );
}

#[derive(Clone, Debug)]
struct Customer;
impl Message for Customer {
    fn size_bytes(&self) -> u64 {
        0
    }
}

/// Poisson arrivals into the node's own single-worker queue; keeps every sojourn and wait so
/// the test can compute batch means (a test may keep samples; the engine never does).
struct Mm1 {
    interarrival: Distribution,
    remaining: u64,
    sojourns: Vec<f64>,
    waits: Vec<f64>,
}

impl Node for Mm1 {
    type Msg = Customer;
    fn on_start(&mut self, ctx: &mut Ctx<'_, Customer>) {
        let delay = self.interarrival.sample_duration(ctx.rng());
        ctx.set_timer(delay, TimerTag(0));
    }
    fn on_message(&mut self, _: &mut Ctx<'_, Customer>, _: NodeId, _: Customer) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Customer>, _: TimerTag) {
        assert!(matches!(
            ctx.submit_work(OpKind(0), Customer),
            Admission::Started | Admission::Queued
        ));
        self.remaining -= 1;
        if self.remaining > 0 {
            let delay = self.interarrival.sample_duration(ctx.rng());
            ctx.set_timer(delay, TimerTag(0));
        }
    }
    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Customer>, work: CompletedWork<Customer>) {
        self.sojourns
            .push((ctx.now() - work.submitted_at).as_secs_f64());
        self.waits
            .push((work.started_at - work.submitted_at).as_secs_f64());
    }
}

/// Batch means: splits `values` into `n_batches` consecutive batches and returns the grand
/// mean and the standard error of the batch means. With batches much longer than the queue's
/// relaxation time, batch means are nearly independent (Law & Kelton, Simulation Modeling and
/// Analysis, 5th ed., section 9.5.3).
fn batch_means(values: &[f64], n_batches: usize) -> (f64, f64) {
    let size = values.len() / n_batches;
    let means: Vec<f64> = values
        .chunks_exact(size)
        .take(n_batches)
        .map(|c| c.iter().sum::<f64>() / size as f64)
        .collect();
    let grand = means.iter().sum::<f64>() / n_batches as f64;
    let variance = means.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (n_batches - 1) as f64;
    (grand, (variance / n_batches as f64).sqrt())
}

// Goal: the engine's service model is an exact M/M/1 queue. Theory (Kleinrock, Queueing
// Systems Vol. 1, 3.2): sojourn ~ Exp(mu - lambda), so mean 1/(mu-lambda) and
// P(sojourn > x) = exp(-(mu-lambda) x); P(wait = 0) = 1 - rho. Rates are per second.
// Method: 200 000 customers at rho = 0.8, the first 2 000 dropped as warm-up, 20 batches of
// ~9 900 customers (the relaxation time is about 1 / (mu (1 - sqrt(rho))^2) = 90 s, i.e.
// ~70 customers, far shorter than a batch). Each estimate must be within t(0.9995, 19 df) =
// 3.88 standard errors of theory: a correct engine fails about once in 1000 seeds per check.
#[test]
fn mm1_matches_queueing_theory() {
    let (lambda, mu) = (0.8, 1.0);
    let customers = 200_000;
    let mut sim = Simulation::new(SimConfig::with_seed(99));
    let node = sim.add_node(Mm1 {
        interarrival: Distribution::exponential(1e9 / lambda).unwrap(),
        remaining: customers,
        sojourns: Vec::new(),
        waits: Vec::new(),
    });
    let service = ServiceModel::new(
        "mm1",
        NonZeroU32::MIN,
        Distribution::exponential(1e9 / mu).unwrap(),
    );
    let model = sim.add_service_model(service);
    sim.set_service(node, model).unwrap();
    sim.run_until_idle().unwrap();
    let mm1 = sim.node(node);
    assert_eq!(mm1.sojourns.len() as u64, customers);
    let warm = 2_000;
    let sojourns = &mm1.sojourns[warm..];
    let t = 3.88;
    let rate = mu - lambda;

    let (mean, se) = batch_means(sojourns, 20);
    assert!(
        (mean - 1.0 / rate).abs() < t * se,
        "mean sojourn {mean} vs {} (se {se})",
        1.0 / rate
    );

    for p in [0.5f64, 0.9, 0.99] {
        // The theoretical p-quantile; the fraction above it should be 1 - p.
        let quantile = -(1.0 - p).ln() / rate;
        let above: Vec<f64> = sojourns
            .iter()
            .map(|s| f64::from(u8::from(*s > quantile)))
            .collect();
        let (fraction, se) = batch_means(&above, 20);
        assert!(
            (fraction - (1.0 - p)).abs() < t * se,
            "P(sojourn > q{p}) = {fraction} (se {se})"
        );
    }

    let idle: Vec<f64> = mm1.waits[warm..]
        .iter()
        .map(|w| f64::from(u8::from(*w == 0.0)))
        .collect();
    let (fraction, se) = batch_means(&idle, 20);
    assert!(
        (fraction - (1.0 - lambda / mu)).abs() < t * se,
        "P(wait = 0) = {fraction} (se {se})"
    );

    // The engine's own histograms agree with the samples (3 significant digits).
    let histogram = sim
        .metrics()
        .histogram_by_name("service.mm1.sojourn")
        .unwrap();
    let all_mean = mm1.sojourns.iter().sum::<f64>() / customers as f64;
    assert!((histogram.mean() / 1e9 - all_mean).abs() / all_mean < 1e-3);
}
