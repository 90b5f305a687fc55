#!/usr/bin/env python3
"""Writes a .pdl whose pipeline has STAGES stages and about EDGES edges (a
random DAG: every edge goes from a stage to a later one), for timing pdlc's
pipeline and flow checks.

usage: gen-wiring.py STAGES EDGES > wiring.pdl
"""
import random
import sys

def main():
    stages = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    edges = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    r = random.Random(42)
    out = ['module wiring;', 'import "std/packet.pdl";',
           'labels conf { public < internal; internal < secret; }',
           'struct st { u64 n @internal; }',
           'domain plain : std.stage { }',
           'domain holder : std.stage { state st; }',
           'domain scrub : std.stage { clearance secret; declassify secret -> public; }',
           'sink log @internal;', 'pipeline big {']
    kinds = ['plain', 'holder', 'scrub']
    out += ['\tstage s%d : %s;' % (i, kinds[i % 3]) for i in range(stages)]
    out.append('\trx -> s0;')
    # a chain so every stage is reachable, then random forward edges
    out += ['\ts%d -> s%d;' % (i, i + 1) for i in range(stages - 1)]
    for _ in range(edges - (stages - 1) - 2 - stages // 10):
        a = r.randrange(stages - 1)
        b = r.randrange(a + 1, stages)
        out.append('\ts%d -> s%d;' % (a, b))
    out += ['\ts%d -> log;' % i for i in range(0, stages, 10)]
    out += ['\ts%d -> tx;' % (stages - 1), '}']
    print('\n'.join(out))

main()
