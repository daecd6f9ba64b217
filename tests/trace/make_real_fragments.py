#!/usr/bin/env python3
"""make_real_fragments.py OUT - the real trace fragments of samples/ as one
Export-Clixml file (Windows PowerShell 5.1: UTF-16LE with BOM, CR LF, two
spaces of indentation), so that the reader is tested on real values.

The values are those of the Format-List and delivery-report samples, kept
verbatim (anonymisation included: "******", "xxx", "x.x.x.x"); Format-List's
display wrapping is undone (a multi-line LED gets its CR LF back, which
Export-Clixml writes as _x000D__x000A_). What the samples do not show is
filled with plausible values and marked "(filled)" in a comment above the
object. The three trace-detail Detail strings of
samples/exo-trace-detail-reason-strings.txt are used as they are, the third
one cut off as in the original post.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_trace import encode_string  # noqa: E402

NL = "\r\n"
out = []
refid = [0]
tns = {}


def w(lvl, s):
    out.append("  " * lvl + s + NL)


def tn(lvl, types):
    if types in tns:
        w(lvl, '<TNRef RefId="%d" />' % tns[types])
        return
    tns[types] = len(tns)
    w(lvl, '<TN RefId="%d">' % tns[types])
    for t in types:
        w(lvl + 1, "<T>%s</T>" % t)
    w(lvl, "</TN>")


def nref():
    r = refid[0]
    refid[0] += 1
    return r


def prop(lvl, tag, name, value):
    if value is None:
        w(lvl, '<Nil N="%s" />' % name)
    elif value == "" and tag == "S":
        w(lvl, '<S N="%s"></S>' % name)
    else:
        w(lvl, '<%s N="%s">%s</%s>' % (tag, name, encode_string(value) if tag == "S" else value, tag))


STRARR = ("Deserialized.System.String[]", "Deserialized.System.Array", "Deserialized.System.Object")
KVLIST = ("Deserialized.System.Collections.Generic.List`1[[System.Collections.Generic.KeyValuePair`2"
          "[[System.String, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089],"
          "[System.Object, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]], "
          "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]]",
          "Deserialized.System.Object")


def strlist(lvl, name, items):
    w(lvl, '<Obj N="%s" RefId="%d">' % (name, nref()))
    tn(lvl + 1, STRARR)
    if items:
        w(lvl + 1, "<LST>")
        for it in items:
            w(lvl + 2, "<S>%s</S>" % encode_string(it))
        w(lvl + 1, "</LST>")
    else:
        w(lvl + 1, "<LST />")
    w(lvl, "</Obj>")


def eventdata(lvl, pairs):
    w(lvl, '<Obj N="EventData" RefId="%d">' % nref())
    tn(lvl + 1, KVLIST)
    w(lvl + 1, "<LST>")
    for k, v in pairs:
        w(lvl + 2, "<S>[%s, %s]</S>" % (encode_string(k), encode_string(v)))
    w(lvl + 1, "</LST>")
    w(lvl, "</Obj>")


TRACKING = ("Deserialized.Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent",
            "Deserialized.System.Object")
DETAIL = ("Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTraceDetail",
          "Deserialized.System.Object")


def tracking(comment, v):
    out.append("  <!-- %s -->" % comment + NL)
    w(1, '<Obj RefId="%d">' % nref())
    tn(2, TRACKING)
    w(2, "<ToString>Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent</ToString>")
    w(2, "<Props>")
    for tag, name, value in v:
        if tag == "LST":
            strlist(3, name, value)
        elif tag == "ED":
            eventdata(3, value)
        else:
            prop(3, tag, name, value)
    w(2, "</Props>")
    w(2, "<MS>")
    prop(3, "S", "PSComputerName", v[0][2] if False else "ex01.contoso.lab")
    prop(3, "G", "RunspaceId", next(x[2] for x in v if x[1] == "_RunspaceId"))
    prop(3, "B", "PSShowComputerName", "false")
    w(2, "</MS>")
    w(1, "</Obj>")


def tracking_fields(**kw):
    """The 31 properties of Get-MessageTrackingLog (Exchange 2016+), in order."""
    order = [("S", "ClientIp"), ("S", "ClientHostname"), ("S", "ServerIp"), ("S", "ServerHostname"),
             ("S", "SourceContext"), ("S", "ConnectorId"), ("S", "Source"), ("S", "EventId"),
             ("I64", "InternalMessageId"), ("S", "MessageId"), ("G", "NetworkMessageId"),
             ("LST", "Recipients"), ("LST", "RecipientStatus"), ("I32", "TotalBytes"),
             ("I32", "RecipientCount"), ("S", "RelatedRecipientAddress"), ("LST", "Reference"),
             ("S", "MessageSubject"), ("S", "Sender"), ("S", "ReturnPath"), ("S", "Directionality"),
             ("S", "TenantId"), ("S", "OriginalClientIp"), ("S", "MessageInfo"), ("S", "MessageLatency"),
             ("S", "MessageLatencyType"), ("ED", "EventData"), ("S", "TransportTrafficType"),
             ("S", "SchemaVersion")]
    v = [("DT", "Timestamp", kw["Timestamp"])]
    for tag, name in order:
        v.append((tag, name, kw.get(name, [] if tag in ("LST", "ED") else None)))
    v.append(("G", "_RunspaceId", kw["RunspaceId"]))
    return [x for x in v if x[1] != "_RunspaceId"] + [x for x in v if x[1] == "_RunspaceId"]


def detail(comment, v):
    out.append("  <!-- %s -->" % comment + NL)
    w(1, '<Obj RefId="%d">' % nref())
    tn(2, DETAIL)
    w(2, "<ToString>Microsoft.Exchange.Management.FfoReporting.MessageTraceDetail</ToString>")
    w(2, "<Props>")
    for tag, name, value in v:
        prop(3, tag, name, value)
    w(2, "</Props>")
    w(2, "<MS>")
    prop(3, "S", "PSComputerName", "outlook.office365.com")
    prop(3, "G", "RunspaceId", "0b1c3f0e-5d2a-4c51-9d4a-6f2f0c6b7a11")
    prop(3, "B", "PSShowComputerName", "false")
    w(2, "</MS>")
    w(1, "</Obj>")


def main():
    reasons = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples",
                                "exo-trace-detail-reason-strings.txt"), encoding="utf-8").read().split("\n")
    out.append('<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">' + NL)

    tracking("samples/fl-msgtrackinglog-fail-senderid-ex2016-qa1407358.txt (Exchange 2016 CU23); "
             "time zone of Timestamp (filled: none, as Unspecified)", tracking_fields(
        Timestamp="2023-10-28T20:18:34", RunspaceId="8da772ca-1784-4b02-a831-55867685f81c",
        ClientIp="199.15.214.202", ClientHostname="xxx", ServerIp="x.x.x.x", ServerHostname="",
        SourceContext="Sender Id Agent", ConnectorId="xxx\\Default xxx", Source="SMTP", EventId="FAIL",
        InternalMessageId="190838281863168", MessageId="******@sjmktmail-trigger1d.marketo.org",
        NetworkMessageId="196b3170-6f7d-4763-484d-08dbd7eaadff", Recipients=["******@xxx.com"],
        RecipientStatus=["[{LED=550 5.7.1 Sender ID (PRA) Not Permitted};{MSG=};{FQDN=};{IP=x.x.x.x};{LRT=}]"],
        TotalBytes="0", RecipientCount="1", RelatedRecipientAddress="", Reference=[],
        MessageSubject="Thanks for your request", Sender="email@microsoft.com",
        ReturnPath="******@bounce4.email.microsoft.com", Directionality="Incoming", TenantId="",
        OriginalClientIp="", MessageInfo="", MessageLatency=None, MessageLatencyType="None",
        EventData=[("ToEntity", "Unknown"), ("FromEntity", "Internet"), ("DeliveryPriority", "Normal"),
                   ("OriginalFromAddress", "******@bounce4.email.microsoft.com"), ("AccountForest", "xxxcom")],
        TransportTrafficType="Email", SchemaVersion="15.01.2507.034"))

    tracking("samples/fl-msgtrackinglog-fail-transportrule-ex2016cu19-qa347573.txt (Exchange 2016 CU19); "
             "MessageInfo unwrapped from Format-List", tracking_fields(
        Timestamp="2021-04-06T14:46:03", RunspaceId="e939e06b-1823-4dbe-8803-8dafea667cef",
        ClientIp="", ClientHostname="***", ServerIp="", ServerHostname="",
        SourceContext="Transport Rule Agent", ConnectorId="", Source="AGENT", EventId="FAIL",
        InternalMessageId="80762565034851", MessageId="",
        NetworkMessageId="8e9b967e-b07a-46d7-081f-08d8f8f9f041", Recipients=["***"],
        RecipientStatus=["[{LED=550 5.7.1 TRANSPORT.RULES.RejectMessage; the message was rejected by "
                         "organization policy};{MSG=};{FQDN=};{IP=};{LRT=}]"],
        TotalBytes="799707", RecipientCount="1", RelatedRecipientAddress="", Reference=[],
        MessageSubject="***", Sender="***", ReturnPath="***", Directionality="Incoming", TenantId="",
        OriginalClientIp="",
        MessageInfo="2021-04-06T12:46:03.426Z;SRV=***,TOTAL-HUB=0.453|SMR=0.209(SMRDI=0.049(SMREH=0.009"
                    "(SMREH-Sender Filter Agent=0.007)|SMRED=0.001)|SMRC=0.159(SMRCL=0.159|X-SMRCR=0.156))"
                    "|CAT-PEN=0.251(CATOS=0.007(CATSM=0.005(CATSM-Unified Group Post Sent Item Routing "
                    "Agent=0.003))|CATRESL=0.002|CATORES-PEN=0.241(CATRS-PEN=0.241(CATRS-Transport Rule "
                    "Agent-PEN=0.240)))",
        MessageLatency=None, MessageLatencyType="None",
        EventData=[("E2ELatency", "0.453"), ("DeliveryPriority", "Normal"), ("AccountForest", "***")],
        TransportTrafficType="Email", SchemaVersion="15.01.2176.009"))

    gmail_led = ("550-5.7.26 Your email has been blocked because the sender is unauthenticated. \r\n"
                 "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. \r\n"
                 "550-5.7.26 Authentication results:\r\n"
                 "550-5.7.26 DKIM = did not pass \r\n"
                 "550-5.7.26 SPF [] with ip: [my.exchange.server.ip] = did not pass \r\n"
                 "550-5.7.26 For instructions on setting up authentication, go to \r\n"
                 "550-5.7.26 https://support.google.com/mail/answer/81126#authentication \r\n"
                 "550 5.7.26 d9443c01a7336-22410ad7979si202153425ad.403 - gsmtp")
    tracking("samples/fl-recipientstatus-gmail-5.7.26-ex2019-omnine-kbs.txt (Exchange 2019): "
             "RecipientStatus verbatim, line breaks restored; every other field (filled)", tracking_fields(
        Timestamp="2025-03-12T19:50:43", RunspaceId="5f0e2d4c-9a8b-4c7d-8e6f-1a2b3c4d5e6f",
        ClientIp="", ClientHostname="EX01", ServerIp="", ServerHostname="EX01",
        SourceContext="", ConnectorId="Outbound to Internet", Source="SMTP", EventId="FAIL",
        InternalMessageId="190838281863200", MessageId="<kbs-oof-1@omnine.example>",
        NetworkMessageId="1a2b3c4d-0000-4000-8000-08dd00000001", Recipients=["someone@gmail.com"],
        RecipientStatus=["[{LED=" + gmail_led + "};{MSG=};{FQDN=gmail-smtp-in.l.google.com};"
                         "{IP=74.125.142.27};{LRT=12/03/2025 19:50:43}]"],
        TotalBytes="5120", RecipientCount="1", RelatedRecipientAddress="", Reference=[],
        MessageSubject="Automatic reply: test", Sender="user@omnine.example",
        ReturnPath="user@omnine.example", Directionality="Originating", MessageLatencyType="None",
        TransportTrafficType="Email", SchemaVersion="15.02.1544.009"))

    storedrv = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples",
                                 "delivery-report-led-554-5.2.0-ex2019-qa2192662.txt"),
                    encoding="utf-8").read().split("\n")[7]
    tracking("samples/delivery-report-led-554-5.2.0-ex2019-qa2192662.txt (Exchange 2019): "
             "the RecipientStatus tuple of the delivery report verbatim; every other field (filled)",
             tracking_fields(
        Timestamp="2023-10-24T18:42:08", RunspaceId="7c6b5a49-3827-4161-9504-f3e2d1c0b9a8",
        ClientIp="", ClientHostname="exchange.sub.mydomain.com", ServerIp="",
        ServerHostname="exchange.sub.mydomain.com", SourceContext="", ConnectorId="",
        Source="STOREDRIVER", EventId="FAIL", InternalMessageId="20899310518285",
        MessageId="<large-attachment-1@mydomain.com>",
        NetworkMessageId="2b3c4d5e-0000-4000-8000-08dbd0000002", Recipients=["******@mydomain.com"],
        RecipientStatus=[storedrv], TotalBytes="62914560", RecipientCount="1",
        RelatedRecipientAddress="", Reference=[], MessageSubject="large file",
        Sender="user@mydomain.com", ReturnPath="user@mydomain.com", Directionality="Originating",
        MessageLatencyType="None", TransportTrafficType="Email", SchemaVersion="15.02.1118.007"))

    for i, (event, comment) in enumerate((
            ("Defer", "line 1: the LED holds '{' and '}'"),
            ("Drop", "line 2: an out-of-office dropped with 250 2.1.5"),
            ("Defer", "line 3: cut off in the original post"))):
        detail("samples/exo-trace-detail-reason-strings.txt %s; the other fields (filled)" % comment, [
            ("S", "Organization", "contoso.onmicrosoft.com"),
            ("S", "MessageId", "<reason-%d@contoso.com>" % (i + 1)),
            ("G", "MessageTraceId", "c20e0f7a-f06b-41df-fe33-08d9da155ac%d" % (i + 1)),
            ("S", "SenderAddress", "alex@contoso.com"),
            ("S", "RecipientAddress", ("someone@bigpond.com", "partner@fabrikam.example",
                                       "user@exchange.example")[i]),
            ("DT", "Date", "2025-01-21T03:45:1%dZ" % i),
            ("S", "Event", event),
            ("S", "Action", ""),
            ("S", "Detail", reasons[i]),
            ("S", "Data", '<root><MEP Name="ServerHostName" String="SY4PR01MB6123.ausprd01.prod.outlook.com" />'
                          '<MEP Name="DeliveryPriority" String="Normal" /></root>'),
        ])
    out.append("</Objs>")
    with open(sys.argv[1], "wb") as f:
        f.write(b"\xff\xfe" + "".join(out).encode("utf-16-le"))


if __name__ == "__main__":
    main()
