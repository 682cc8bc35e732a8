# The bridge of one converter worker: it starts a headless LibreOffice,
# connects to it through UNO (python3-uno) and converts the files named on
# stdin, one JSON request a line, answering one JSON line each on stdout.
# The Go side owns the process group: it kills it at the time limit.
import ctypes
import json
import resource
import subprocess
import sys
import time

soffice, profile, pipe, memlimit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if memlimit > 0:
    # Inherited by LibreOffice: a document that makes it grow past this
    # fails instead of taking the machine.
    resource.setrlimit(resource.RLIMIT_AS, (memlimit, memlimit))

import uno  # noqa: E402
import unohelper  # noqa: E402
from com.sun.star.beans import PropertyValue  # noqa: E402
from com.sun.star.connection import NoConnectException  # noqa: E402
from com.sun.star.task import XInteractionHandler  # noqa: E402

answers = sys.stdout
sys.stdout = sys.stderr  # nothing but answers on the real stdout


def reply(**kw):
    answers.write(json.dumps(kw) + "\n")
    answers.flush()


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


ABORT = uno.getTypeByName("com.sun.star.task.XInteractionAbort")


class Handler(unohelper.Base, XInteractionHandler):
    """Answers every question LibreOffice asks (a password, a filter, a
    repair) with abort, and remembers whether a password was asked."""

    def __init__(self):
        self.password = False

    def handle(self, request):
        r = request.getRequest()
        name = getattr(r, "typeName", "") or type(r).__name__
        if "Password" in name:
            self.password = True
        for c in request.getContinuations():
            if ABORT in c.Types:
                c.select()
                return


def die_with_parent():
    # PR_SET_PDEATHSIG: LibreOffice goes when the bridge goes.
    ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)


office = subprocess.Popen(
    [
        soffice,
        "--headless",
        "--invisible",
        "--nologo",
        "--norestore",
        "--nodefault",
        "--nolockcheck",
        "--nofirststartwizard",
        "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
        "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe,
    ],
    stdin=subprocess.DEVNULL,
    stdout=sys.stderr,
    stderr=sys.stderr,
    preexec_fn=die_with_parent,
)

local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
ctx = None
deadline = time.time() + 80
while ctx is None:
    if office.poll() is not None:
        reply(error="start", detail="soffice exited with %d" % office.returncode)
        sys.exit(1)
    try:
        ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
    except NoConnectException:
        if time.time() > deadline:
            reply(error="start", detail="soffice did not answer")
            sys.exit(1)
        time.sleep(0.05)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
reply(ready=True)


def office_gone():
    try:
        office.wait(1)
        return True
    except subprocess.TimeoutExpired:
        return False


for line in sys.stdin:
    if office.poll() is not None:
        sys.exit(3)  # LibreOffice died: the Go side restarts the worker
    req = json.loads(line)
    handler = Handler()
    doc = None
    try:
        try:
            doc = desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(req["in"]),
                "_blank",
                0,
                (
                    prop("Hidden", True),
                    prop("ReadOnly", True),
                    prop("UpdateDocMode", 0),  # NO_UPDATE: links stay as saved
                    prop("MacroExecutionMode", 0),  # NEVER_EXECUTE
                    prop("InteractionHandler", handler),
                ),
            )
        except Exception as e:
            if "Disposed" in type(e).__name__ or office.poll() is not None:
                if office_gone():
                    sys.exit(3)
            doc = None
        if doc is None:
            reply(error="encrypted" if handler.password else "load")
            continue
        args = [prop("FilterName", req["filter"])]
        if req.get("options"):
            args.append(prop("FilterOptions", req["options"]))
        doc.storeToURL(uno.systemPathToFileUrl(req["out"]), tuple(args))
        reply(ok=True)
    except Exception as e:
        if office_gone():
            sys.exit(3)
        reply(error="convert", detail="%s: %s" % (type(e).__name__, e))
    finally:
        if doc is not None:
            try:
                doc.close(True)
            except Exception:
                try:
                    doc.dispose()
                except Exception:
                    pass
