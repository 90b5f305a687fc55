#!/usr/bin/env python3
"""Writes a .pdl of one hostile shape at about LINES lines, for pdlc's scale
benchmark (tests/bench/pdlc-scale.sh) and its regression tests (issue 15).

usage: gen-hostile-pdl.py SHAPE LINES > file.pdl

Shapes (each should cost pdlc time and memory linear in LINES):
  struct_chain   a by-value chain s0 { s1 x; } ... one struct a line (recursion)
  struct_cycle   the same chain closed into a cycle: one error, a note a struct
  own_chain      s0 { own s1? next; } ...: reachability, fingerprints, checkpoint code
  pipeline_leak  a LINES-stage pipeline, a secret at its head, a public sink at
                 its tail: one flow error explained over every stage
  vec_depth      vec<vec<...<u8>...>> nested LINES/4 deep on one line (the
                 parser's stack refuses nesting past about 4,500 levels:
                 the depth stops at 4,096)
  fields         sqrt(LINES) structs of sqrt(LINES) fields each of the next
                 struct, under a vec (the bound min_bytes computes)
  declassify     one domain with LINES `declassify` lines
  emits          one domain with LINES `emits` lines (of one sink)
  notes          one error with LINES notes (a cycle of imports is not needed:
                 a by-value cycle of LINES structs)
"""
import math
import sys


def struct_chain(n, cycle=False):
    out = ['module chain;']
    for i in range(n):
        nxt = 's%d' % (i + 1) if i + 1 < n else ('s0' if cycle else None)
        out.append('struct s%d { %s }' % (i, ('%s x; u8 v;' % nxt) if nxt else 'u8 v;'))
    return out


def own_chain(n):
    out = ['module chain;']
    for i in range(n - 1):
        out.append('struct s%d { own s%d? next; u32 v; }' % (i, i + 1))
    out.append('struct s%d { u32 v; }' % (n - 1))
    out.append('domain holder : std.stage { state s0; on_fault restore; checkpoint every 8 batches; }')
    out.insert(1, 'import "std/packet.pdl";')
    return out


def pipeline_leak(n):
    out = ['module leak;', 'import "std/packet.pdl";',
           'labels conf { public < secret; }',
           'struct st { u64 n @secret; }',
           'domain holder : std.stage { state st; }',
           'domain plain : std.stage { }',
           'sink log @public;', 'pipeline big {', '\tstage s0 : holder;']
    out += ['\tstage s%d : plain;' % i for i in range(1, n)]
    out.append('\trx -> s0;')
    out += ['\ts%d -> s%d;' % (i, i + 1) for i in range(n - 1)]
    out += ['\ts%d -> log;' % (n - 1), '\ts%d -> tx;' % (n - 1), '}']
    return out


def vec_depth(n):
    depth = min(max(n // 4, 1), 4096)
    return ['module deep;', 'struct s { ' + 'vec<' * depth + 'u8' + '>' * depth + ' x; }']


def fields(n):
    k = max(int(math.sqrt(n)), 2)
    out = ['module wide;']
    for i in range(k):
        out.append('struct s%d {' % i)
        if i + 1 < k:
            out += ['\ts%d a%d;' % (i + 1, j) for j in range(k)]
        else:
            out += ['\tu8 a%d;' % j for j in range(k)]
        out.append('}')
    out.append('struct top { vec<s0> all; }')
    return out


def declassify(n):
    out = ['module dc;', 'import "std/packet.pdl";', 'labels conf { public < secret; }',
           'domain d : std.stage {', '\tclearance secret;']
    out += ['\tdeclassify secret -> public;'] * n
    out.append('}')
    return out


def emits(n):
    out = ['module em;', 'import "std/packet.pdl";', 'labels conf { public < secret; }',
           'sink k @secret;', 'domain d : std.stage {']
    out += ['\temits k;'] * n
    out.append('}')
    return out


SHAPES = {
    'struct_chain': struct_chain,
    'struct_cycle': lambda n: struct_chain(n, cycle=True),
    'own_chain': own_chain,
    'pipeline_leak': pipeline_leak,
    'vec_depth': vec_depth,
    'fields': fields,
    'declassify': declassify,
    'emits': emits,
    'notes': lambda n: struct_chain(n, cycle=True),
}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SHAPES:
        sys.exit('usage: gen-hostile-pdl.py {%s} LINES' % ','.join(SHAPES))
    print('\n'.join(SHAPES[sys.argv[1]](int(sys.argv[2]))))


main()
