"""Without CAP_NET_RAW, creating the raw socket fails as on Windows without admin rights."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.lab

CHILD = '''
import json
from rcvall import socket
import rcvall
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IP)
except OSError as e:
    print(json.dumps({"type": type(e).__name__, "winerror": getattr(e, "winerror", None),
                      "errno": e.errno, "message": e.strerror,
                      "permission": isinstance(e, PermissionError),
                      "rcvall": isinstance(e, rcvall.RcvallError)}))
else:
    print(json.dumps(None))
# A standard socket still works without the capability.
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.bind(("127.0.0.1", 0))
'''


def test_without_cap_net_raw_creation_is_wsaeacces_naming_the_capability(tmp_path):
    # Root keeps its uid (to read this checkout) but loses CAP_NET_RAW for good: out of the
    # bounding set, so the exec of Python cannot regain it.
    out = subprocess.run(
        ["setpriv", "--bounding-set", "-net_raw", "--inh-caps", "-net_raw", "--",
         sys.executable, "-c", CHILD],
        capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    err = json.loads(out.stdout)
    assert err is not None, "the socket was created without CAP_NET_RAW"
    assert err["winerror"] == 10013
    assert err["errno"] == 1  # EPERM from socket(AF_PACKET)
    assert err["permission"] and err["rcvall"]
    assert "CAP_NET_RAW" in err["message"]
