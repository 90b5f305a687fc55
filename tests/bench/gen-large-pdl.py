#!/usr/bin/env python3
"""Writes a large, valid .pdl for timing pdlc: structs, interfaces, domains
and one long pipeline, about LINES lines in all.

usage: gen-large-pdl.py LINES > big.pdl
"""
import sys

def main():
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    n = max(1, lines // 32)          # each group below is 32 lines
    out = ['module big;', '', 'import "std/packet.pdl";', '',
           'labels conf {', '\tpublic < internal;', '\tinternal < secret;', '}', '']
    for i in range(n):
        out += [f'struct rec{i} {{',
                '\tu32 a;', '\tu64 b @internal;', '\tbytes name;', '\tu8[6] mac;',
                f'\tvec<u32> list;', f'\town rec{i}? next;',
                f'\tshared rec{max(i - 1, 0)}? prev;',
                '\tlabeled<u64, conf> secret;', '\tbool flag;', '\tf64 weight;', '}', '',
                f'interface svc{i} : std.stage {{',
                f'\tu32 get(rec{i} r, u32 key @secret) @secret;',
                f'\tvoid put(inout rec{i} r, move rec{i} fresh);',
                f'\tmove rec{i} take();',
                f'\tvoid call(rref<svc{i}> peer);',
                '\tu64 count() @public;', '}', '',
                f'domain dom{i} : svc{i} {{',
                f'\tstate rec{i};', '\ton_fault restore;', '\tcheckpoint every 64 batches;',
                '\tclearance secret;', '\tdeclassify secret -> public;', '\tquota 16 MiB;', '}', '']
    out += ['sink log @public;', '', 'pipeline long {']
    out += [f'\tstage s{i} : dom{i};' for i in range(n)]
    out += ['\trx -> s0;'] + [f'\ts{i} -> s{i + 1};' for i in range(n - 1)]
    out += [f'\ts{n - 1} -> tx;', '\ts0 -> log;', '}']
    print('\n'.join(out))

main()
