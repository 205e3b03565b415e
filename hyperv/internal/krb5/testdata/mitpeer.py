"""MIT Kerberos peer for the Go tests: one GSS-API context with the Go side
of krb5, then messages wrapped and unwrapped with gss_wrap_iov and
gss_unwrap_iov exactly as pyspnego's wrap_winrm and unwrap_winrm call them
for WinRM message encryption.

Usage: mitpeer.py initiate|accept krb5|spnego [service-principal]

Speaks one JSON object a line on stdin and stdout; base64 for bytes. The
environment (KRB5_CONFIG, KRB5_CLIENT_KTNAME, KRB5_KTNAME) names the realm
and the keys; MITPEER_CB, when set, is the hex application data of the
channel bindings the context is bound to.
"""

import base64
import json
import os
import sys

import gssapi
from gssapi.raw import IOV, IOVBufferType, unwrap_iov, wrap_iov


def send(**kw):
    print(json.dumps(kw), flush=True)


def recv():
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return json.loads(line)


def b64(b):
    return base64.b64encode(b or b"").decode()


def unb64(s):
    return base64.b64decode(s)


def main():
    role, mech = sys.argv[1], sys.argv[2]
    oid = gssapi.MechType.kerberos
    if mech == "spnego":
        oid = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
    flags = (gssapi.RequirementFlag.mutual_authentication
             | gssapi.RequirementFlag.replay_detection
             | gssapi.RequirementFlag.out_of_sequence_detection
             | gssapi.RequirementFlag.confidentiality
             | gssapi.RequirementFlag.integrity)
    cb = None
    if os.environ.get("MITPEER_CB"):
        cb = gssapi.raw.ChannelBindings(application_data=bytes.fromhex(os.environ["MITPEER_CB"]))
    if role == "initiate":
        name = gssapi.Name(sys.argv[3], gssapi.NameType.kerberos_principal)
        ctx = gssapi.SecurityContext(name=name, mech=oid, flags=flags, usage="initiate", channel_bindings=cb)
        send(token=b64(ctx.step()))
        while not ctx.complete:
            out = ctx.step(unb64(recv()["token"]))
            if not ctx.complete:
                send(token=b64(out))
        send(complete=True)
    else:
        creds = gssapi.Credentials(usage="accept", mechs=[oid])
        ctx = gssapi.SecurityContext(creds=creds, usage="accept", channel_bindings=cb)
        try:
            out = ctx.step(unb64(recv()["token"]))
            reply = dict(token=b64(out), complete=ctx.complete, client=str(ctx.initiator_name))
        except gssapi.exceptions.GSSError as e:
            send(error=str(e))
            return
        send(**reply)

    while True:
        cmd = recv()
        op = cmd["op"]
        try:
            if op == "wrap":
                # pyspnego wrap_winrm: HEADER | DATA | PADDING, sealed.
                iov = IOV(IOVBufferType.header, unb64(cmd["data"]), IOVBufferType.padding, std_layout=False)
                wrap_iov(ctx, iov, confidential=True)
                send(header=b64(iov[0].value), data=b64(iov[1].value), padding=b64(iov[2].value))
            elif op == "unwrap":
                # pyspnego unwrap_winrm (MIT): HEADER | DATA | an empty DATA.
                iov = IOV((IOVBufferType.header, False, unb64(cmd["header"])), unb64(cmd["data"]),
                          IOVBufferType.data, std_layout=False)
                res = unwrap_iov(ctx, iov)
                send(data=b64(iov[1].value), encrypted=res.encrypted)
            elif op == "quit":
                return
        except gssapi.exceptions.GSSError as e:
            send(error=str(e))


if __name__ == "__main__":
    main()
