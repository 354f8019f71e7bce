#!/usr/bin/env python3
"""M/M/1 queue in SimPy 4.1.2, the peer run beside distsim's mm1 example.

Written the idiomatic SimPy way: one ``simpy.Resource(capacity=1)`` is the server (its request
queue is FIFO), a ``source`` process waits ``env.timeout(random.expovariate(lambda))`` between
arrivals and starts one ``customer`` process per arrival, and each customer requests the
resource, holds it for an exponential service time (rate ``mu``) and records its sojourn time.
Randomness comes from the stdlib ``random`` module seeded with ``random.seed(seed)``.

Output (one line, parsed by ``compare-engine.sh``):
``simpy customers=<N> wall_s=<s> customers_per_s=<rate> mean_sojourn=<value>``
Wall time covers ``env.run()`` only, not setup.
"""

import argparse
import random
import sys
import time

import simpy


def source(env, server, lam, mu, customers, stats):
    for _ in range(customers):
        yield env.timeout(random.expovariate(lam))
        env.process(customer(env, server, mu, stats))


def customer(env, server, mu, stats):
    arrival = env.now
    with server.request() as req:
        yield req
        yield env.timeout(random.expovariate(mu))
    stats[0] += 1
    stats[1] += env.now - arrival


def positive_float(text):
    value = float(text)
    if not value > 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text}")
    return value


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lambda", dest="lam", type=positive_float, default=1.0,
                        help="arrival rate (default 1.0)")
    parser.add_argument("--mu", type=positive_float, default=1.1,
                        help="service rate (default 1.1)")
    parser.add_argument("--customers", type=positive_int, default=100_000,
                        help="customers to generate and serve (default 100000)")
    parser.add_argument("--seed", type=int, default=1, help="random.seed value (default 1)")
    args = parser.parse_args(argv)

    random.seed(args.seed)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    stats = [0, 0.0]  # served, sum of sojourn times
    env.process(source(env, server, args.lam, args.mu, args.customers, stats))

    start = time.perf_counter()
    env.run()
    wall_s = time.perf_counter() - start

    served, sojourn_sum = stats
    if served != args.customers:
        print(f"error: served {served} of {args.customers} customers", file=sys.stderr)
        return 1
    print(f"simpy customers={served} wall_s={wall_s:.6f} "
          f"customers_per_s={served / wall_s:.0f} mean_sojourn={sojourn_sum / served:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
