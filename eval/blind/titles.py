"""Title check over every blind case: the service name the parser picks vs the given one."""
import sys, glob, yaml
sys.path.insert(0, '.')
from agent.service.text import _service_name
from eval.grounding.score import title_check
ok = tot = 0
for p in sorted(glob.glob('eval/blind/*/*.yaml')):
    c = yaml.safe_load(open(p))
    svc = (c.get('names') or {}).get('service')
    if not svc: continue
    svc = svc[0] if isinstance(svc, list) else svc
    got = _service_name(c['description'])
    disp = got[1] if got else ''
    good = title_check('Runbook: ' + disp, svc)[0]
    ok += good; tot += 1
    if not good or '-v' in sys.argv: print(('ok ' if good else 'NO ') + p.split('/')[-1][:40], repr(disp), 'want', svc)
print(f'{ok}/{tot}')
