#!/usr/bin/env python3
"""Why the built-in client and Chromium differ, from one results database with --pcap artifacts.

Usage: scripts/chromium-validation.py OUT/results.db [SITES_ROOT]
For every (site, link, protocol) loaded by both clients: which recorded resources each fetched, how
late the last response came against the PLT, and what Chromium did between its last response and its
load event (compute, in the browser's own clock). Reads the HARs named by har_path (built-in load.har,
Chromium's chromium.har) and the snapshots under SITES_ROOT (default: sites/corpus).
"""
import json, os, sqlite3, statistics, sys
from collections import Counter, defaultdict
from datetime import datetime
from urllib.parse import urlsplit

db = sys.argv[1]
sites_root = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), '..', 'sites', 'corpus')

def key(url):
    u = urlsplit(url)
    return (u.hostname or '') + (u.path or '/') + ('?' + u.query if u.query else '')

def har_entries(path):
    with open(path) as f:
        log = json.load(f)['log']
    page = log['pages'][0] if log.get('pages') else None
    out = []
    for e in log['entries']:
        start = datetime.fromisoformat(e['startedDateTime'].replace('Z', '+00:00')).timestamp() * 1000
        out.append((key(e['request']['url']), start, start + max(e['time'], 0), e['response'].get('httpVersion', ''),
                    e.get('serverIPAddress'), e.get('_serverPort'), e.get('connection')))
    return page, out

rows = sqlite3.connect(db).execute(
    "select site, link, protocol, client, run_index, plt_ms, dcl_ms, har_path from trials where status='ok' and har_path is not null").fetchall()
groups = defaultdict(lambda: defaultdict(list))
for site, link, protocol, client, run, plt, dcl, har in rows:
    groups[(site, link, protocol)][client].append((run, plt, dcl, har))

missing_by_type = Counter()
missing_examples = defaultdict(list)
after_onload = []
compute_gap = []
for (site, link, protocol), by in sorted(groups.items()):
    if 'builtin' not in by or 'chromium' not in by:
        continue
    manifest = json.load(open(os.path.join(sites_root, site, 'manifest.json')))
    recorded = {key(x['scheme'] + '://' + x['host'] + x['path']): x for x in manifest['exchanges']}
    for (brun, bplt, _, bhar), (crun, cplt, cdcl, char) in zip(sorted(by['builtin']), sorted(by['chromium'])):
        _, bent = har_entries(bhar)
        cpage, cent = har_entries(char)
        bset = {k for k, *_ in bent}
        cset = {k for k, *_ in cent}
        missing = sorted(bset - cset)
        extra = sorted(cset - bset)
        for m in missing:
            x = recorded.get(m, {})
            t = (x.get('type'), x.get('initiatorType'))
            missing_by_type[t] += 1
            if len(missing_examples[t]) < 3:
                missing_examples[t].append(f'{site}: {m}')
        t0 = min(s for _, s, *_ in cent)
        last = max(e for _, _, e, *_ in cent) - t0
        onload = (cpage or {}).get('pageTimings', {}).get('onLoad')
        late = [k for k, s, e, *_ in cent if onload and e - t0 > onload]
        after_onload.append(len(late))
        if onload:
            compute_gap.append(onload - last)
        conns_c = len({(ip, port, c) for *_, ip, port, c in cent})
        print(f'{site:9} {link:5} {protocol:8} run {brun}: builtin {bplt:7.0f} ms {len(bent):3} req | chromium {cplt:7.0f} ms '
              f'(DCL {cdcl or 0:6.0f}) {len(cent):3} req, last response {last:6.0f} ms, onLoad {onload or 0:6.0f} ms, '
              f'{len(late)} after onload | missing in chromium {len(missing)}, extra {len(extra)} {extra[:2]}')

print()
print('Recorded resources the built-in client fetched and Chromium did not, by (type, initiatorType):')
for t, n in missing_by_type.most_common():
    print(f'  {n:4}  {t}   e.g. {missing_examples[t][:2]}')
if compute_gap:
    print(f'Chromium onLoad minus its last HAR response end (negative: responses after onload): median {statistics.median(compute_gap):.0f} ms, '
          f'min {min(compute_gap):.0f}, max {max(compute_gap):.0f}')
print(f'Chromium loads with responses ending after onLoad: {sum(1 for n in after_onload if n)} of {len(after_onload)}')
