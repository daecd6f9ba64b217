#!/usr/bin/env python3
"""gen_trace.py - realistic synthetic Exchange message-trace exports.

No complete public export of Get-MessageTrace*, Get-MessageTraceDetail* or
Get-MessageTrackingLog exists, so the tests and the benchmark use exports
made here, following section 6 of ../shared/reference/message-trace.md:

  * CLIXML as Export-Clixml writes it: <Objs> root without an XML
    declaration, 2-space indentation and CR LF (or --compact), one <Obj> per
    pipeline object with RefIds increasing by one per <Obj>, the <TN> type
    list written once and <TNRef> afterwards (file-global), <Props> and
    <MS> (remoting notes PSComputerName, RunspaceId, PSShowComputerName),
    strings encoded like PowerShell's EncodeString (_xHHHH_ for control
    characters, surrogates and "_x"), then XML-escaped;
  * shapes: `trace` (Get-MessageTrace[V2] from Exchange Online), `detail`
    (Get-MessageTraceDetail[V2], with Detail reason strings and a Data
    blob), `tracking` (Get-MessageTrackingLog from the Exchange Management
    Shell: 31 properties, Recipients/RecipientStatus/Reference as <LST>
    lists, EventData in both forms, MessageLatency as <S> or <TS>),
    `selected` (Select-Object: every field under <MS>, TN Selected.* +
    PSCustomObject), `mixed` (all of them in one file);
  * encodings: utf16le-bom (Windows PowerShell 5.1's default), utf16le
    (no BOM), utf16be-bom, utf8 (PowerShell 7), utf8-bom;
  * --traps adds the hazards of the reference: empty <LST />, <Ref> to an
    earlier list, bare top-level <S>, a leading "#< CLIXML" line, _x005F_x,
    surrogate pairs in both cases, 8-digit escapes, lone surrogates, raw
    non-matching "_x..", every primitive tag, enums as <Obj>, <Nil>, empty
    and whitespace-only strings, LED texts from ../shared/samples/trace with
    ';' '[' ']' '{' '}' and line breaks, the LRT-first tuple order, the bare
    replies of Exchange 2010, joined (Select-Object -join) recipient lists,
    a Data blob with a DOCTYPE;
  * other formats of the same events: `msgtrk` (raw MSGTRK log with a
    #Fields header, 2013+ layout), `csv-extended` (historical search
    extended report), `csv-summary` (EAC summary report with
    addr##Receive, Fail), `csv-trace` (Export-Csv of Get-MessageTrace).

--expect FILE writes the ground truth as JSON Lines: one line per record
ndrsift must produce (where, recipient, event, action, reply, status, a
substring of the diagnostic, sender, subject, message_id, server,
connector, remote_mta, report_date), then one line {"skipped": {...},
"records": N, "units": N}. The output is deterministic for a given seed.

usage: gen_trace.py [--shape S] [--format F] [--encoding E] [--records N |
                    --size BYTES] [--seed N] [--traps] [--compact]
                    [--newline crlf|lf] [--expect FILE] -o OUT
"""

import argparse
import datetime
import json
import random
import re
import sys

# ---------------------------------------------------------------- catalogue

# (weight, led, reply, status, contains, outcome, fqdn, ip)
# outcome: fail, defer or drop. LED texts are real ones (../shared/samples/
# trace and public reports) or close to them.
GMAIL_526 = (
    "550-5.7.26 Your email has been blocked because the sender is unauthenticated. \r\n"
    "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. \r\n"
    "550-5.7.26 Authentication results:\r\n"
    "550-5.7.26 DKIM = did not pass \r\n"
    "550-5.7.26 SPF [] with ip: [198.51.100.7] = did not pass \r\n"
    "550-5.7.26 For instructions on setting up authentication, go to \r\n"
    "550-5.7.26 https://support.google.com/mail/answer/81126#authentication \r\n"
    "550 5.7.26 d9443c01a7336-22410ad7979si202153425ad.403 - gsmtp")
STOREDRV_520 = (
    "554 5.2.0 STOREDRV.Deliver.Exception:MessageSubmissionExceededException."
    "MapiExceptionMaxSubmissionExceeded; Failed to process message due to a permanent "
    "exception with message Cannot save changes made to an item to store. "
    "16.55847:A9310000, 17.43559:0000000052010000000000000100000000000000, "
    "20.52176:020F5E840700103100000000, 20.50032:020F5E847717000000000000, 0.35180:020F5E84, "
    "255.23226:00000000, 255.27962:A3000000, 255.27962:0A000000, 255.27962:25000000, "
    "255.17082:DA040000, 0.27745:00000000, 4.21921:DA040000, 255.27962:FA000000, "
    "255.1494:0F010480, 1.56858:922F0000, 6.45653:050007800201F90FE47F0000, "
    "4.41064:05000780, 4.44956:DA040000, 1.63016:25000000, 4.39640:DA040000, "
    "8.45434:A73F9BD7A853244AB164D4FDE65DF64A302D3438, "
    "5.10786:0000000031352E30322E313131382E3030373A45584348414E47453A37383732626634652D666562302D343835662D396338322D62656235633064616132636200000000, "
    "255.1750:0F010480, 255.31418:0F010480, 0.22753:00000000, 255.21817:DA040000, "
    "0.17361:00000000, 4.19665:DA040000, 0.37632:00000000, 4.37888:DA040000 [Stage: CreateMessage]")

FAILURES = [
    (20, "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
     550, "5.1.10", "RecipientNotFound", "fail", "", ""),
    (8, "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found",
     550, "5.1.1", "ExRecipNotFound", "fail", "", ""),
    (3, "550 5.7.1 Sender ID (PRA) Not Permitted", 550, "5.7.1", "Sender ID (PRA)", "fail", "", ""),
    (5, "550 5.7.1 TRANSPORT.RULES.RejectMessage; the message was rejected by organization policy",
     550, "5.7.1", "TRANSPORT.RULES.RejectMessage", "fail", "", ""),
    (6, GMAIL_526, 550, "5.7.26", "Gmail requires all senders", "fail",
     "gmail-smtp-in.l.google.com", "74.125.142.27"),
    (2, STOREDRV_520, 554, "5.2.0", "MapiExceptionMaxSubmissionExceeded", "fail", "EX02.contoso.com",
     "192.168.1.246"),
    (4, "451-4.7.23 Message deferred - unable to verify SPF policy for 451 4.7.23 chromaderm.com.au. "
        "IB305 i{2b0c499b-c839-43d2-9c76-dda19649fe67}",
     451, "4.7.23", "IB305 i{2b0c499b", "defer", "extmail.bigpond.com", "203.42.22.10"),
    (5, "450 4.4.316 Connection refused [Message=Socket error code 10061]",
     450, "4.4.316", "Socket error code 10061", "defer", "mx.fabrikam.example", "203.0.113.25"),
    (2, "250 2.1.5 RESOLVER.OOF.IntToExt; handled internal OOF addressed to external recipient",
     250, "2.1.5", "RESOLVER.OOF.IntToExt", "drop", "", ""),
    (5, "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
        "MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception",
     554, "5.2.2", "QuotaExceededException", "fail", "", ""),
    (6, "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
        "[DM6NAM11FT011.eop-nam11.prod.protection.outlook.com 2025-06-13T08:41:17.452Z 08DD8A1C2B3C4D5E]",
     550, "5.4.1", "AS(201806281)", "fail", "fabrikam-example.mail.protection.outlook.com",
     "52.101.41.6"),
    (4, "554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using Spamhaus. To request "
        "removal from this list see https://www.spamhaus.org/query/ip/198.51.100.7 AS(1450) "
        "[BN8NAM12FT045.eop-nam12.prod.protection.outlook.com]",
     554, "5.7.1", "blocked using Spamhaus", "fail", "northwind-example.mail.protection.outlook.com",
     "52.101.8.44"),
    (2, "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more "
        "information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(843) "
        "[AM4PEPF00027A5F.eurprd04.prod.outlook.com]",
     550, "5.7.708", "traffic not accepted from this IP", "fail", "", ""),
    (1, "550 5.4.14 Hop count exceeded - possible mail loop ATTR34 "
        "[SN1NAM02FT0012.eop-nam02.prod.protection.outlook.com]",
     550, "5.4.14", "Hop count exceeded", "fail", "", ""),
    (3, "550 4.4.7 QUEUE.Expired; message expired", 550, "4.4.7", "QUEUE.Expired", "fail", "", ""),
    (4, "554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain",
     554, "5.4.4", "NonExistentDomain", "fail", "", ""),
    (2, "550 5.7.509 Access denied, sending domain CONTOSO.COM does not pass DMARC verification and "
        "has a DMARC policy of reject. [DB5PEPF00014B8E.eurprd02.prod.outlook.com "
        "2025-06-13T08:41:17.452Z 08DD8A1C2B3C4D5E]",
     550, "5.7.509", "does not pass DMARC verification", "fail", "", ""),
    (3, "421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to unexpected volume "
        "or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
     421, "4.7.0", "[TSS04]", "defer", "mta7.am0.yahoodns.net", "67.195.204.72"),
    (2, "552 5.3.4 Message size exceeds fixed maximum message size",
     552, "5.3.4", "exceeds fixed maximum message size", "fail", "mx.tailspin.example", "198.51.100.80"),
    (2, "550 5.1.1 <dana@fabrikam.example>: Recipient address rejected: User unknown in virtual "
        "mailbox table; RecipNotFound [a]{b}",
     550, "5.1.1", "User unknown in virtual mailbox table", "fail", "mx.fabrikam.example", "203.0.113.25"),
    (1, "550 5.7.520 Access denied, Your organization does not allow external forwarding. Please "
        "contact your administrator for further assistance. AS(7555)",
     550, "5.7.520", "does not allow external forwarding", "fail", "", ""),
    (1, "554 5.6.0 STOREDRV.Deliver.Exception:ConversionFailedException; Content conversion failed",
     554, "5.6.0", "ConversionFailedException", "fail", "", ""),
]
FAIL_WEIGHTS = [f[0] for f in FAILURES]

# Exchange 2010 writes the bare reply in RecipientStatus.
EX2010_REPLIES = [
    ("550 5.7.1 Sender ID (PRA) Domain Does Not Exist", 550, "5.7.1", "Domain Does Not Exist"),
    ("550 5.1.1 User unknown", 550, "5.1.1", "User unknown"),
]

SENDERS = ["adele.vance", "alex.wilber", "diego.siciliani", "grady.archie", "henrietta.mueller",
           "isaiah.langer", "johanna.lorenz", "joni.sherman", "lee.gu", "lidia.holloway",
           "lynne.robbins", "megan.bowen", "miriam.graham", "nestor.wilke", "patti.fernandez",
           "pradeep.gupta", "noreply", "billing", "helpdesk", "newsletter"]
SENDER_DOMAINS = ["contoso.com", "contoso.com", "contoso.com", "sales.contoso.com"]
RECIP_LOCAL = ["info", "bob", "carol", "dana", "erik", "farah", "gus", "hana", "ivan", "jules",
               "kim", "leo", "mia", "noah", "olga", "pia", "quinn", "ravi", "sara", "tom",
               "accounts", "orders", "support", "j.smith", "m.muller"]
RECIP_DOMAINS = ["fabrikam.example", "gmail.com", "yahoo.com", "outlook.com", "bigpond.com",
                 "northwind.example", "tailspin.example", "adatum.example", "contoso.com",
                 "woodgrove.example", "litware.example", "proseware.example"]
SUBJECTS = ["RE: Quarterly report", "Invoice 2025-0613", "FW: meeting notes", "Your order has shipped",
            "Weekly status", "Angebot Nr. 4711 \u2013 \u00dcbersicht", "Re: Budget Q3",
            "Password reset", "Lunch?", "\u4f1a\u8bae\u901a\u77e5", "Contract_x draft v2",
            "Newsletter June", "Re: Re: Re: ticket #55812", "Caf\u00e9 & bakery <offer>",
            "Out of office: back Monday", "Report \U0001F4C8 ready", "Line one\r\nline two",
            "Payroll_X_2025.xlsx", "  padded subject  ", "Urgent!!!"]
SERVERS = ["EX01", "EX02", "EX03"]
ORG = "contoso.onmicrosoft.com"

T_TRACE = ("Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace",
           "Deserialized.System.Object")
T_DETAIL = ("Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTraceDetail",
            "Deserialized.System.Object")
T_TRACKING = ("Deserialized.Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent",
              "Deserialized.System.Object")
T_SELECTED = ("Selected.Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent",
              "System.Management.Automation.PSCustomObject", "System.Object")
T_STRARRAY = ("Deserialized.System.String[]", "Deserialized.System.Array", "Deserialized.System.Object")
T_KVLIST = ("Deserialized.System.Collections.Generic.List`1[[System.Collections.Generic.KeyValuePair`2"
            "[[System.String, mscorlib],[System.Object, mscorlib]], mscorlib]]", "Deserialized.System.Object")
T_KV = ("Deserialized.System.Collections.Generic.KeyValuePair`2[[System.String, mscorlib],"
        "[System.Object, mscorlib]]", "Deserialized.System.ValueType", "Deserialized.System.Object")
T_ENUM = ("Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTraceStatus",
          "Deserialized.System.Enum", "Deserialized.System.ValueType", "Deserialized.System.Object")
T_HASH = ("System.Collections.Hashtable", "System.Object")

# What ndrsift counts for the events it does not classify (see src/input/trace.c).
SKIP_WHAT = {
    "RECEIVE": "received", "AGENTINFO": "agentinfo", "SUBMIT": "submitted", "DELIVER": "delivered",
    "SEND": "sent", "SENDEXTERNAL": "sent", "DSN": "dsn", "EXPAND": "expanded", "RESOLVE": "resolved",
    "NOTIFYMAPI": "notifymapi", "HAREDIRECTFAIL": "shadow redundancy failure", "TRANSFER": "transferred",
    "Receive": "received", "Submit": "submitted", "Spam Diagnostics": "spam diagnostics",
    "Deliver": "delivered", "Send external": "sent", "Expand": "expanded", "Resolved": "resolved",
    "Transport rule": "transport rule",
    "Delivered": "delivered", "Pending": "pending", "Expanded": "expanded", "Quarantined": "quarantined",
    "FilteredAsSpam": "filtered as spam", "GettingStatus": "pending",
}

# ------------------------------------------------------------------ encoding

_PLAIN = re.compile(r"^[ !#-%'-;=?-~]*$")  # printable ASCII without " & < > _


def encode_string(s):
    """PowerShell InternalSerializer.EncodeString, then XML escaping."""
    if _PLAIN.match(s):
        return s
    out = []
    n = len(s)
    for i, ch in enumerate(s):
        cp = ord(ch)
        if cp > 0xFFFF:
            v = cp - 0x10000
            out.append("_x%04X__x%04X_" % (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)))
        elif cp <= 0x1F or 0x7F <= cp <= 0x9F or 0xD800 <= cp <= 0xDFFF:
            out.append("_x%04X_" % cp)
        elif ch == "_" and i + 1 < n and s[i + 1] in "xX":
            out.append("_x005F_")
        elif ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        else:
            out.append(ch)
    return "".join(out)


def xml_text(s):
    """XML escaping only (a value already encoded, or a non-string)."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(s):
    return xml_text(s).replace('"', "&quot;")


# ----------------------------------------------------------------- messages


class Sim:
    """Messages and their events; deterministic for a seed."""

    def __init__(self, seed, traps, fail_rate=0.2):
        self.rng = random.Random(seed)
        self.traps = traps
        self.fail_rate = fail_rate
        self.t = datetime.datetime(2025, 6, 13, 8, 0, 0, tzinfo=datetime.timezone.utc)
        self.n = 0

    def tick(self):
        self.t += datetime.timedelta(microseconds=self.rng.randrange(50_000, 9_000_000))
        return self.t

    def message(self):
        r = self.rng
        self.n += 1
        sender = "%s@%s" % (r.choice(SENDERS), r.choice(SENDER_DOMAINS))
        nrec = r.choice((1, 1, 1, 1, 2, 2, 3))
        recips = []
        while len(recips) < nrec:
            a = "%s@%s" % (r.choice(RECIP_LOCAL), r.choice(RECIP_DOMAINS))
            if a not in recips:
                recips.append(a)
        outcomes = []
        for _ in recips:
            x = r.random()
            if x < 0.98 - self.fail_rate:
                outcomes.append(("deliver", None))
            elif x < 1.0 - self.fail_rate:
                outcomes.append(("expand", None))
            else:
                f = r.choices(FAILURES, weights=FAIL_WEIGHTS)[0]
                outcomes.append((f[5], f))
        t0 = self.tick()
        mid = "<%s.%d.%s@%s>" % (t0.strftime("%Y%m%d%H%M%S"), self.n, "%08x" % r.getrandbits(32),
                                 "EX0%d.contoso.com" % r.randrange(1, 4))
        return {
            "sender": sender, "recips": recips, "outcomes": outcomes,
            "subject": r.choice(SUBJECTS), "mid": mid, "t": t0, "size": r.randrange(2_000, 4_000_000),
            "server": r.choice(SERVERS), "guid": "%08x-%04x-%04x-%04x-%012x" % (
                r.getrandbits(32), r.getrandbits(16), r.getrandbits(16), r.getrandbits(16),
                r.getrandbits(48)),
            "imid": r.randrange(10**13, 3 * 10**14),
        }


def iso(t, frac=7):
    """DateTime the way XmlConvert writes a UTC value (7 fraction digits)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + ("%06d0" % t.microsecond)[:frac] + "Z"


def lrt(t):
    h = t.hour % 12 or 12
    return "%d/%d/%d %d:%02d:%02d %s" % (t.month, t.day, t.year, h, t.minute, t.second,
                                         "AM" if t.hour < 12 else "PM")


def tuple_of(f, t, lrt_first=False):
    led, fqdn, ip = f[1], f[6], f[7]
    if lrt_first:
        return "[{LRT=%s};{LED=%s};{FQDN=%s};{IP=%s}]" % (lrt(t), led, fqdn, ip)
    return "[{LED=%s};{MSG=};{FQDN=%s};{IP=%s};{LRT=%s}]" % (led, fqdn, ip, lrt(t) if fqdn else "")


# ----------------------------------------------------------------- events
# An event is a dict of the fields a tracking log has, plus "_exp": the
# records (dicts) and skips (what, count) ndrsift must produce for it.


def expect_record(ev, recip, f, action, remote=None, reply=None, status=None, contains=None):
    e = {"recipient": recip, "event": ev.get("event", ""), "action": action,
         "sender": ev.get("sender", ""), "subject": ev.get("subject", ""),
         "message_id": ev.get("mid", ""), "server": ev.get("server", ""),
         "connector": ev.get("connector", ""), "report_date": ev.get("time_text", ""),
         "remote_mta": remote if remote is not None else (f[6] if f else ""),
         "reply": reply if reply is not None else (f[2] if f else None),
         "status": status if status is not None else (f[3] if f else None),
         "contains": contains if contains is not None else (f[4] if f else "")}
    return e


def tracking_events(sim, m, ex2010=False):
    """Get-MessageTrackingLog events of one message, in order."""
    r = sim.rng
    evs = []
    base = {"sender": m["sender"], "subject": m["subject"], "mid": m["mid"], "server": m["server"],
            "imid": m["imid"], "size": m["size"], "guid": m["guid"], "return_path": m["sender"]}

    def ev(event, source, recips, statuses, connector="", ctx="", t=None):
        t = t or sim.tick()
        e = dict(base, event=event, source=source, recips=list(recips), statuses=list(statuses),
                 connector=connector, source_context=ctx, t=t, time_text=iso(t))
        e["_exp"] = []
        return e

    recv = ev("RECEIVE", "SMTP", m["recips"], ["To"] * len(m["recips"]),
              connector="%s\\Default %s" % (m["server"], m["server"]),
              ctx="08DC1DB12C345BE5;%s;0" % iso(m["t"], 3), t=m["t"])
    recv["_exp"].append(("skip", "received", len(m["recips"])))
    evs.append(recv)
    ag = ev("AGENTINFO", "AGENT", m["recips"], [""] * len(m["recips"]), ctx="Transport Rule Agent")
    ag["_exp"].append(("skip", "agentinfo", len(m["recips"])))
    evs.append(ag)
    delivered, sent, failed, deferred = [], [], [], []
    for rcp, (out, f) in zip(m["recips"], m["outcomes"]):
        if out == "deliver":
            (delivered if rcp.endswith("@contoso.com") else sent).append(rcp)
        elif out == "expand":
            delivered.append(rcp)
        elif out == "defer":
            deferred.append((rcp, f))
            sent.append(rcp)
        else:
            failed.append((rcp, f))
    if deferred:
        d = ev("DEFER", "SMTP", [x[0] for x in deferred],
               [tuple_of(f, sim.t) for _, f in deferred], connector="Outbound to Internet")
        for rcp, f in deferred:
            d["_exp"].append(("rec", expect_record(d, rcp, f, "delayed")))
        evs.append(d)
    if delivered:
        d = ev("DELIVER", "STOREDRIVER", delivered, [""] * len(delivered))
        d["_exp"].append(("skip", "delivered", len(delivered)))
        evs.append(d)
    if sent:
        d = ev(r.choice(("SEND", "SENDEXTERNAL")), "SMTP", sent,
               ["250 2.1.5 Recipient OK"] * len(sent), connector="Outbound to Internet")
        d["_exp"].append(("skip", "sent", len(sent)))
        evs.append(d)
    if failed:
        fails = [(rcp, f) for rcp, f in failed if f[5] == "fail"]
        drops = [(rcp, f) for rcp, f in failed if f[5] == "drop"]
        for group, event in ((fails, "FAIL"), (drops, "DROP")):
            if not group:
                continue
            if ex2010:
                sts, exps = [], []
                for rcp, f in group:
                    b = r.choice(EX2010_REPLIES)
                    sts.append(b[0])
                    exps.append((rcp, f, b))
            else:
                sts = [tuple_of(f, sim.t, lrt_first=sim.traps and r.random() < 0.1) for _, f in group]
                exps = [(rcp, f, None) for rcp, f in group]
            d = ev(event, "SMTP" if group[0][1][6] else "AGENT", [x[0] for x in group], sts,
                   ctx="Transport Rule Agent" if "RULES" in group[0][1][1] else "")
            for rcp, f, b in exps:
                if b:
                    d["_exp"].append(("rec", expect_record(d, rcp, None, "failed", remote="", reply=b[1],
                                                           status=b[2], contains=b[3])))
                else:
                    d["_exp"].append(("rec", expect_record(d, rcp, f, "failed")))
            evs.append(d)
        if fails:
            dsn = ev("DSN", "DSN", [m["sender"]], [])
            dsn["_exp"].append(("skip", "dsn", 1))
            evs.append(dsn)
    return evs


def detail_events(sim, m):
    """Get-MessageTraceDetail events, one list per recipient (EXO)."""
    r = sim.rng
    out = []
    for rcp, (o, f) in zip(m["recips"], m["outcomes"]):
        base = {"sender": m["sender"], "recip": rcp, "mid": m["mid"], "guid": m["guid"],
                "subject": "", "server": ""}
        evs = []

        def ev(event, detail, action="", data=None):
            t = sim.tick()
            e = dict(base, event=event, detail=detail, action=action, t=t, time_text=iso(t),
                     data=data, _exp=[])
            evs.append(e)
            return e

        mep_server = "DM6PR11MB%04d.namprd11.prod.outlook.com" % r.randrange(10000)
        data = [("ReturnPath", m["sender"]), ("ClientName", mep_server),
                ("ServerHostName", mep_server), ("DeliveryPriority", "Normal")]
        e = ev("Receive", "Message received by: %s" % mep_server, data=data)
        e["_exp"].append(("skip", "received", 1))
        if r.random() < 0.5:
            e = ev("Spam Diagnostics", "", data=[("SFV", "NSPM"), ("SCL", "1")])
            e["_exp"].append(("skip", "spam diagnostics", 1))
        e = ev("Submit", "The message was submitted.")
        e["_exp"].append(("skip", "submitted", 1))
        if o == "deliver":
            if rcp.endswith("@contoso.com"):
                e = ev("Deliver", "The message was successfully delivered to the folder: Inbox")
                e["_exp"].append(("skip", "delivered", 1))
            else:
                e = ev("Send external", "Message sent to mx.%s at 203.0.113.%d using TLS1.2 "
                       "with AES256" % (rcp.split("@")[1], r.randrange(1, 250)))
                e["_exp"].append(("skip", "sent", 1))
        elif o == "expand":
            e = ev("Expand", "The distribution group was expanded.")
            e["_exp"].append(("skip", "expanded", 1))
        else:
            event = {"fail": "Fail", "defer": "Defer", "drop": "Drop"}[o]
            tup = tuple_of(f, sim.t)
            if o == "defer" and r.random() < 0.5:
                detail = "Defer:Reason: %s" % tup
            else:
                detail = "Reason: %s" % tup
            remote = f[6]
            if f[6] and r.random() < 0.5:
                detail += ". OutboundProxyTargetIP: %s. OutboundProxyTargetHostName: %s" % (f[7], f[6])
            e = ev(event, detail, data=[("ServerHostName", mep_server),
                                        ("ReturnPath", m["sender"]),
                                        ("RecipientReference", "")])
            e["server"] = mep_server
            e["_exp"].append(("rec", expect_record(e, rcp, f, "delayed" if o == "defer" else "failed",
                                                   remote=remote)))
            if o == "defer":
                e = ev("Deliver", "The message was successfully delivered.")
                e["_exp"].append(("skip", "delivered", 1))
        out.append(evs)
    return out


def trace_rows(sim, m):
    """Get-MessageTrace rows, one per recipient (EXO)."""
    r = sim.rng
    rows = []
    for rcp, (o, f) in zip(m["recips"], m["outcomes"]):
        if o == "deliver":
            status = r.choices(("Delivered", "Quarantined", "FilteredAsSpam", "GettingStatus"),
                               weights=(96, 1, 2, 1))[0]
        elif o == "expand":
            status = "Expanded"
        elif o == "defer":
            status = "Pending"
        else:
            status = "Failed"
        toip = f[7] if f and f[7] else ("203.0.113.%d" % r.randrange(1, 250))
        e = {"sender": m["sender"], "recip": rcp, "mid": m["mid"], "subject": m["subject"],
             "status": status, "toip": toip, "size": m["size"], "guid": m["guid"], "t": m["t"],
             "time_text": iso(m["t"]), "event": status, "server": "", "_exp": []}
        if status == "Failed":
            e["_exp"].append(("rec", expect_record(e, rcp, None, "failed", remote=toip, reply=None,
                                                   status=None, contains="")))
        else:
            e["_exp"].append(("skip", SKIP_WHAT[status], 1))
        rows.append(e)
    return rows


# ------------------------------------------------------------------ CLIXML


class Clixml:
    def __init__(self, sim, compact, nl):
        self.sim = sim
        self.rng = sim.rng
        self.ref = 0
        self.tns = {}
        self.compact = compact
        self.nl = "" if compact else nl
        self.lists = []  # (refid, items) of string lists written, for <Ref>
        self.objects = 0

    def ind(self, lvl):
        return "" if self.compact else "  " * lvl

    def next_ref(self):
        r = self.ref
        self.ref += 1
        return r

    def tn(self, types, lvl):
        i = self.ind(lvl)
        if types in self.tns:
            return '%s<TNRef RefId="%d" />%s' % (i, self.tns[types], self.nl)
        k = len(self.tns)
        self.tns[types] = k
        inner = "".join('%s<T>%s</T>%s' % (self.ind(lvl + 1), encode_string(t), self.nl) for t in types)
        return '%s<TN RefId="%d">%s%s%s</TN>%s' % (i, k, self.nl, inner, i, self.nl)

    def prim(self, tag, name, value, lvl):
        i = self.ind(lvl)
        if value is None:
            return '%s<Nil N="%s" />%s' % (i, name, self.nl)
        if tag == "S":
            value = encode_string(value)
        return '%s<%s N="%s">%s</%s>%s' % (i, tag, name, value, tag, self.nl)

    def raw_s(self, name, encoded, lvl):
        """An <S> whose text is given already encoded (traps)."""
        return '%s<S N="%s">%s</S>%s' % (self.ind(lvl), name, encoded, self.nl)

    def str_list(self, name, items, lvl, keep=True):
        rid = self.next_ref()
        i, nl = self.ind(lvl), self.nl
        parts = ['%s<Obj N="%s" RefId="%d">%s' % (i, name, rid, nl), self.tn(T_STRARRAY, lvl + 1)]
        if not items:
            parts.append("%s<LST />%s" % (self.ind(lvl + 1), nl))
        else:
            parts.append("%s<LST>%s" % (self.ind(lvl + 1), nl))
            i2 = self.ind(lvl + 2)
            for it in items:
                parts.append("%s<S>%s</S>%s" % (i2, encode_string(it), nl))
            parts.append("%s</LST>%s" % (self.ind(lvl + 1), nl))
        parts.append("%s</Obj>%s" % (i, nl))
        if keep:
            self.lists.append((rid, tuple(items)))
            if len(self.lists) > 8:
                self.lists.pop(0)
        return "".join(parts)

    def remoting(self, lvl, computer):
        r = self.rng
        return (self.prim("S", "PSComputerName", computer, lvl)
                + self.prim("G", "RunspaceId", "%08x-4b02-a831-%012x" % (r.getrandbits(32), r.getrandbits(48)), lvl)
                + self.prim("B", "PSShowComputerName", "false", lvl))

    def obj(self, types, tostring, props, ms, lvl=1):
        """A top-level object: props and ms are lists of pre-rendered lines."""
        self.objects += 1
        rid = self.next_ref()
        i, nl = self.ind(lvl), self.nl
        out = ['%s<Obj RefId="%d">%s' % (i, rid, nl), self.tn(types, lvl + 1)]
        if tostring is not None:
            out.append("%s<ToString>%s</ToString>%s" % (self.ind(lvl + 1), encode_string(tostring), nl))
        if props:
            out.append("%s<Props>%s" % (self.ind(lvl + 1), nl))
            out.extend(props)
            out.append("%s</Props>%s" % (self.ind(lvl + 1), nl))
        if ms:
            out.append("%s<MS>%s" % (self.ind(lvl + 1), nl))
            out.extend(ms)
            out.append("%s</MS>%s" % (self.ind(lvl + 1), nl))
        out.append("%s</Obj>%s" % (i, nl))
        return "".join(out)

    # -- shapes

    def subject_value(self, e, lvl, name):
        """The subject, sometimes as a trap (already-encoded text)."""
        r = self.rng
        if self.sim.traps and r.random() < 0.08:
            raw, dec = r.choice(TRAP_STRINGS)
            e["subject"] = dec
            for kind, x, *_ in e["_exp"]:
                if kind == "rec":
                    x["subject"] = dec
            return self.raw_s(name, raw, lvl)
        if self.sim.traps and r.random() < 0.03:
            e["subject"] = ""
            for kind, x, *_ in e["_exp"]:
                if kind == "rec":
                    x["subject"] = ""
            return '%s<S N="%s" />%s' % (self.ind(lvl), name, self.nl)
        return self.prim("S", name, e["subject"], lvl)

    def trace(self, e):
        r = self.rng
        L = 3
        t = e["t"]
        props = [
            self.prim("S", "Organization", ORG, L),
            self.prim("S", "MessageId", e["mid"], L),
            self.prim("DT", "Received", e["time_text"], L),
            self.prim("S", "SenderAddress", e["sender"], L),
            self.prim("S", "RecipientAddress", e["recip"], L),
            self.subject_value(e, L, "Subject"),
        ]
        if self.sim.traps and r.random() < 0.1:
            # an enum serialised as an object: ToString and the underlying value
            rid = self.next_ref()
            props.append('%s<Obj N="Status" RefId="%d">%s%s%s<ToString>%s</ToString>%s%s<I32>%d</I32>%s%s</Obj>%s' % (
                self.ind(L), rid, self.nl, self.tn(T_ENUM, L + 1), self.ind(L + 1), e["status"], self.nl,
                self.ind(L + 1), r.randrange(8), self.nl, self.ind(L), self.nl))
        else:
            props.append(self.prim("S", "Status", e["status"], L))
        props += [
            self.prim("S", "ToIP", e["toip"], L),
            self.prim("S", "FromIP", None, L),
            self.prim("I32", "Size", str(e["size"]), L),
            self.prim("G", "MessageTraceId", e["guid"], L),
            self.prim("DT", "StartDate", iso(t - datetime.timedelta(days=2)), L),
            self.prim("DT", "EndDate", iso(t + datetime.timedelta(hours=6)), L),
            self.prim("I32", "Index", str(self.objects), L),
        ]
        return self.obj(T_TRACE, "Microsoft.Exchange.Management.FfoReporting.MessageTrace",
                        props, [self.remoting(L, "outlook.office365.com")])

    def detail(self, e):
        L = 3
        data = ""
        if e["data"] is not None:
            data = "<root>" + "".join('<MEP Name="%s" String="%s" />' % (xml_attr(k), xml_attr(v))
                                      for k, v in e["data"]) + "</root>"
            if self.sim.traps and self.rng.random() < 0.05 and e["_exp"] and e["_exp"][0][0] == "rec":
                # a Data blob with a DOCTYPE: refused, the record loses the server it held
                data = ('<!DOCTYPE root [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
                        '<root><MEP Name="ServerHostName" String="&x;" /></root>')
                e["_exp"][0][1]["server"] = ""
                e["_exp"][0][1]["_warn"] = 1
        props = [
            self.prim("S", "Organization", ORG, L),
            self.prim("S", "MessageId", e["mid"], L),
            self.prim("G", "MessageTraceId", e["guid"], L),
            self.prim("S", "SenderAddress", e["sender"], L),
            self.prim("S", "RecipientAddress", e["recip"], L),
            self.prim("DT", "Date", e["time_text"], L),
            self.prim("S", "Event", e["event"], L),
            self.prim("S", "Action", e["action"], L),
            self.prim("S", "Detail", e["detail"], L),
            self.prim("S", "Data", data, L),
        ]
        return self.obj(T_DETAIL, "Microsoft.Exchange.Management.FfoReporting.MessageTraceDetail",
                        props, [self.remoting(L, "outlook.office365.com")])

    def event_data(self, e, L):
        r = self.rng
        kv = [("E2ELatency", "%.3f" % r.uniform(0.1, 9)), ("DeliveryPriority", "Normal"),
              ("AccountForest", "contoso.com")]
        rid = self.next_ref()
        nl = self.nl
        out = ['%s<Obj N="EventData" RefId="%d">%s' % (self.ind(L), rid, nl), self.tn(T_KVLIST, L + 1),
               "%s<LST>%s" % (self.ind(L + 1), nl)]
        if r.random() < 0.5:  # KeyValuePair objects
            for k, v in kv:
                rid2 = self.next_ref()
                out.append('%s<Obj RefId="%d">%s%s%s<ToString>[%s, %s]</ToString>%s%s<Props>%s%s%s%s</Props>%s%s</Obj>%s' % (
                    self.ind(L + 2), rid2, nl, self.tn(T_KV, L + 3), self.ind(L + 3), k, v, nl,
                    self.ind(L + 3), nl, self.prim("S", "Key", k, L + 4), self.prim("S", "Value", v, L + 4),
                    self.ind(L + 3), nl, self.ind(L + 2), nl))
        else:  # cut at the depth: their ToString
            for k, v in kv:
                out.append("%s<S>[%s, %s]</S>%s" % (self.ind(L + 2), k, v, nl))
        out.append("%s</LST>%s%s</Obj>%s" % (self.ind(L + 1), nl, self.ind(L), nl))
        return "".join(out)

    def tracking(self, e, selected=False, joined=False):
        r = self.rng
        L = 3
        traps = self.sim.traps
        rec_line = None
        if joined:
            rec_line = self.prim("S", "Recipients", ";".join(e["recips"]), L)
            st_line = self.prim("S", "RecipientStatus", ";".join(e["statuses"]), L)
        else:
            reuse = [x for x in self.lists if x[1] == tuple(e["recips"])]
            if traps and reuse and r.random() < 0.5:
                rec_line = '%s<Ref N="Recipients" RefId="%d" />%s' % (self.ind(L), reuse[-1][0], self.nl)
            else:
                rec_line = self.str_list("Recipients", e["recips"], L)
            st_line = self.str_list("RecipientStatus", e["statuses"], L, keep=False)
        if selected:
            ms = [self.prim("DT", "Timestamp", e["time_text"], L),
                  self.prim("S", "EventId", e["event"], L),
                  self.prim("S", "Source", e["source"], L),
                  self.prim("S", "Sender", e["sender"], L),
                  rec_line, st_line,
                  self.subject_value(e, L, "MessageSubject"),
                  self.prim("S", "MessageId", e["mid"], L),
                  self.prim("S", "ServerHostname", e["server"], L),
                  self.prim("S", "ConnectorId", e.get("connector", ""), L)]
            return self.obj(T_SELECTED, "@{Timestamp=...}", None, ms)
        t = e["t"]
        lat = ('%s<TS N="MessageLatency">PT%.3fS</TS>%s' % (self.ind(L), r.uniform(0.1, 5), self.nl)
               if r.random() < 0.5 else self.prim("S", "MessageLatency", "", L))
        props = [
            self.prim("DT", "Timestamp", e["time_text"], L),
            self.prim("S", "ClientIp", "10.11.12.%d" % r.randrange(1, 250), L),
            self.prim("S", "ClientHostname", "%s.contoso.com" % e["server"], L),
            self.prim("S", "ServerIp", "10.11.12.14", L),
            self.prim("S", "ServerHostname", e["server"], L),
            self.prim("S", "SourceContext", e["source_context"], L),
            self.prim("S", "ConnectorId", e["connector"], L),
            self.prim("S", "Source", e["source"], L),
            self.prim("S", "EventId", e["event"], L),
            self.prim("I64", "InternalMessageId", str(e["imid"]), L),
            self.prim("S", "MessageId", e["mid"], L),
            self.prim("G", "NetworkMessageId", e["guid"], L),
            rec_line, st_line,
            self.prim("I32", "TotalBytes", str(e["size"]), L),
            self.prim("I32", "RecipientCount", str(len(e["recips"])), L),
            self.prim("S", "RelatedRecipientAddress", "", L),
            self.str_list("Reference", [], L, keep=False),
            self.subject_value(e, L, "MessageSubject"),
            self.prim("S", "Sender", e["sender"], L),
            self.prim("S", "ReturnPath", e["return_path"], L),
            self.prim("S", "Directionality", "Originating", L),
            self.prim("S", "TenantId", "", L),
            self.prim("S", "OriginalClientIp", "", L),
            self.prim("S", "MessageInfo", "%s;SRV=%s.contoso.com:TOTAL-HUB=0.453|SMR=0.209" % (
                iso(t, 3), e["server"]), L),
            lat,
            self.prim("S", "MessageLatencyType", "None", L),
            self.event_data(e, L),
            self.prim("S", "TransportTrafficType", "Email", L),
            self.prim("S", "SchemaVersion", "15.02.1544.009", L),
        ]
        if traps and r.random() < 0.15:
            props += self.every_primitive(L)
        ms = [self.remoting(L, "%s.contoso.com" % e["server"].lower())]
        return self.obj(T_TRACKING, "Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent",
                        props, ms)

    def every_primitive(self, L):
        """Properties ndrsift does not use, one of every primitive tag."""
        p, nl, i = [], self.nl, self.ind(L)
        for tag, val in (("C", "65"), ("B", "true"), ("By", "255"), ("SB", "-5"), ("U16", "65535"),
                         ("I16", "-2"), ("U32", "4294967295"), ("U64", "18446744073709551615"),
                         ("Sg", "1.5"), ("Db", "2.25E-05"), ("D", "79228162514264337593543950335"),
                         ("G", "c20e0f7a-f06b-41df-fe33-08d9da155ac1"), ("BA", "AAECAwQ="),
                         ("URI", "https://outlook.office365.com/"), ("Version", "15.2.1544.9"),
                         ("XD", "&lt;a&gt;x_x000A_y&lt;/a&gt;"), ("SBK", "Get-Date"),
                         ("SS", "01000000d08c9ddf0115d1118c7a00c04fc297eb"), ("TS", "PT0.532S"),
                         ("DT", "2022-10-30T18:01:36-07:00")):
            p.append('%s<%s N="X%s">%s</%s>%s' % (i, tag, tag, val, tag, nl))
        p.append('%s<Nil N="XNil" />%s' % (i, nl))
        p.append('%s<S N="XEmpty"></S>%s' % (i, nl))
        p.append('%s<S N="XSpace"> </S>%s' % (i, nl))
        rid = self.next_ref()
        p.append('%s<Obj N="XHash" RefId="%d">%s%s%s<DCT>%s%s<En>%s%s%s%s</En>%s%s</DCT>%s%s</Obj>%s' % (
            i, rid, nl, self.tn(T_HASH, L + 1), self.ind(L + 1), nl, self.ind(L + 2), nl,
            self.prim("S", "Key", "k", L + 3), self.prim("I32", "Value", "1", L + 3), self.ind(L + 2), nl,
            self.ind(L + 1), nl, i, nl))
        p.append('%s<PR N="XProgress"><AV>Working</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC>'
                 '<T>Processing</T><SR>-1</SR><SD>x</SD></PR>%s' % (i, nl))
        return p


# strings already encoded, and what they decode to (traps)
TRAP_STRINGS = [
    ("Q3_x005F_x report", "Q3_x report"),
    ("caf_x00e9_ _x0001F600_ ok", "caf\u00e9 \U0001F600 ok"),
    ("smile _xd83d__xde00_ lower", "smile \U0001F600 lower"),
    ("lone _xD800_ high", "lone \ufffd high"),
    ("lone _xDC00_ low", "lone \ufffd low"),
    ("keep _xZZ_ and _x12_ as is", "keep _xZZ_ and _x12_ as is"),
    ("tab_x0009_and_x000D__x000A_crlf", "tab\tand\r\ncrlf"),
    ("   ", "   "),
    ("&lt;tag&gt; &amp; _X0041_", "<tag> & A"),
]


# ------------------------------------------------------------- CSV formats

def csv_field(v, delim=","):
    if v is None:
        v = ""
    if any(c in v for c in (delim, '"', "\r", "\n")) or v[:1] == "#" or v != v.strip():
        return '"' + v.replace('"', '""') + '"'
    return v


MSGTRK_FIELDS = ("date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
                 "connector-id,source,event-id,internal-message-id,message-id,network-message-id,"
                 "recipient-address,recipient-status,total-bytes,recipient-count,"
                 "related-recipient-address,reference,message-subject,sender-address,return-path,"
                 "message-info,directionality,tenant-id,original-client-ip,original-server-ip,"
                 "custom-data,transport-traffic-type,log-id,schema-version").split(",")


def msgtrk_row(e, names, rng):
    vals = {
        "date-time": e["time_text"][:23] + "Z", "client-ip": "10.11.12.%d" % rng.randrange(1, 250),
        "client-hostname": "%s.contoso.com" % e["server"], "server-ip": "10.11.12.14",
        "server-hostname": e["server"], "source-context": e["source_context"],
        "connector-id": e["connector"], "source": e["source"], "event-id": e["event"],
        "internal-message-id": str(e["imid"]), "message-id": e["mid"], "network-message-id": e["guid"],
        "recipient-address": ";".join(e["recips"]), "recipient-status": ";".join(e["statuses"]),
        "total-bytes": str(e["size"]), "recipient-count": str(len(e["recips"])),
        "related-recipient-address": "", "reference": "", "message-subject": e["subject"],
        "sender-address": e["sender"], "return-path": e["return_path"],
        "message-info": "", "directionality": "Originating", "tenant-id": "",
        "original-client-ip": "", "original-server-ip": "",
        "custom-data": "S:DeliveryPriority=Normal;S:AccountForest=contoso.com",
        "transport-traffic-type": "Email", "log-id": e["guid"], "schema-version": "15.02.1544.009",
        "date_time_utc": e["time_text"][:23] + "Z",
    }
    return ",".join(csv_field(vals.get(n.replace("_", "-"), vals.get(n, ""))) for n in names)


# ------------------------------------------------------------------ writer


class Out:
    def __init__(self, path, encoding, nl):
        self.f = open(path, "wb")
        self.enc = encoding
        self.nl = nl
        self.buf = []
        self.size = 0
        self.bytes = 0
        self.lines = 1  # the line the next text starts on
        if encoding == "utf8-bom":
            self.f.write(b"\xef\xbb\xbf")
        elif encoding == "utf16le-bom":
            self.f.write(b"\xff\xfe")
        elif encoding == "utf16be-bom":
            self.f.write(b"\xfe\xff")
        self.codec = {"utf8": "utf-8", "utf8-bom": "utf-8", "utf16le-bom": "utf-16-le",
                      "utf16le": "utf-16-le", "utf16be-bom": "utf-16-be"}[encoding]
        self.width = 2 if "16" in encoding else 1

    def write(self, s):
        self.buf.append(s)
        self.size += len(s)
        self.lines += s.count("\n")
        if self.size > 1 << 20:
            self.flush()

    def flush(self):
        if self.buf:
            b = "".join(self.buf).encode(self.codec, "surrogatepass")
            self.f.write(b)
            self.bytes += len(b)
            self.buf = []
            self.size = 0

    def close(self):
        self.flush()
        self.f.close()

    def written(self):
        return self.bytes + self.size * self.width


# -------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", default="mixed",
                    choices=("trace", "detail", "tracking", "tracking2010", "selected", "mixed"))
    ap.add_argument("--format", default="clixml",
                    choices=("clixml", "msgtrk", "csv-extended", "csv-summary", "csv-trace"))
    ap.add_argument("--encoding", default="utf8",
                    choices=("utf8", "utf8-bom", "utf16le-bom", "utf16le", "utf16be-bom"))
    ap.add_argument("--records", type=int, default=50, help="messages to simulate")
    ap.add_argument("--size", type=int, default=0, help="stop after this many bytes of output")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--traps", action="store_true")
    ap.add_argument("--fail-rate", type=float, default=0.2,
                    help="share of recipients whose delivery fails or is deferred")
    ap.add_argument("--compact", action="store_true", help="no indentation and no line breaks")
    ap.add_argument("--newline", default="crlf", choices=("crlf", "lf"))
    ap.add_argument("--expect", help="write the expected records (JSON Lines) here")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()

    nl = "\r\n" if a.newline == "crlf" else "\n"
    sim = Sim(a.seed, a.traps, a.fail_rate)
    out = Out(a.output, a.encoding, nl)
    exp = open(a.expect, "w", encoding="utf-8") if a.expect else None
    skipped = {}
    nrec = [0]
    units = [0]

    def account(e, where):
        for item in e["_exp"]:
            if item[0] == "skip":
                skipped[item[1]] = skipped.get(item[1], 0) + item[2]
                units[0] += item[2]
            else:
                nrec[0] += 1
                units[0] += 1
                if exp:
                    rec = dict(item[1], where=where)
                    exp.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")

    def more(i):
        return (out.written() < a.size) if a.size else (i < a.records)

    if a.format == "clixml":
        cx = Clixml(sim, a.compact, nl)
        if a.traps:
            out.write("#< CLIXML" + nl)
        out.write('<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">' + cx.nl)
        shapes = ["trace", "detail", "tracking", "selected"] if a.shape == "mixed" else [a.shape]
        i = 0
        while more(i):
            m = sim.message()
            shape = shapes[i % len(shapes)]
            i += 1
            if a.traps and sim.rng.random() < 0.03:
                cx.objects += 1
                s = sim.rng.choice(("a bare string", "", "error text_x000D__x000A_"))
                out.write('%s<S>%s</S>%s' % (cx.ind(1), s, cx.nl) if s else '%s<Nil />%s' % (cx.ind(1), cx.nl))
                skipped["not a trace object"] = skipped.get("not a trace object", 0) + 1
                units[0] += 1
            if shape == "trace":
                for e in trace_rows(sim, m):
                    out.write(cx.trace(e))
                    account(e, cx.objects)
            elif shape == "detail":
                for evs in detail_events(sim, m):
                    for e in evs:
                        out.write(cx.detail(e))
                        account(e, cx.objects)
            else:
                for e in tracking_events(sim, m, ex2010=(shape == "tracking2010"
                                                         or (a.traps and sim.rng.random() < 0.1))):
                    joined = shape == "selected" and a.traps and sim.rng.random() < 0.2
                    out.write(cx.tracking(e, selected=(shape == "selected"), joined=joined))
                    account(e, cx.objects)
        out.write("</Objs>")
    elif a.format in ("msgtrk", "csv-extended"):
        if a.format == "msgtrk":
            out.write("#Software: Microsoft Exchange Server" + nl + "#Version: 15.02.1544.009" + nl
                      + "#Log-type: Message Tracking Log" + nl + "#Date: 2025-06-13T08:00:00.000Z" + nl
                      + "#Fields: " + ",".join(MSGTRK_FIELDS) + nl)
            names = MSGTRK_FIELDS
        else:
            names = [n.replace("-", "_") for n in MSGTRK_FIELDS]
            names[0] = "date_time_utc"
            out.write(",".join('"%s"' % n for n in names) + nl)
        i = 0
        while more(i):
            m = sim.message()
            i += 1
            for e in tracking_events(sim, m, ex2010=(a.shape == "tracking2010")):
                if a.format == "csv-extended":
                    e = dict(e, time_text=e["time_text"][:23] + "Z")
                    for it in e["_exp"]:
                        if it[0] == "rec":
                            it[1]["report_date"] = e["time_text"]
                else:
                    for it in e["_exp"]:
                        if it[0] == "rec":
                            it[1]["report_date"] = e["time_text"][:23] + "Z"
                where = out.lines
                out.write(msgtrk_row(e, names, sim.rng) + nl)
                account(e, where)
    elif a.format == "csv-summary":
        cols = ("origin_timestamp_utc", "sender_address", "recipient_status", "message_subject",
                "total_bytes", "message_id", "network_message_id", "original_client_ip",
                "directionality", "connector_id", "delivery_priority")
        out.write(",".join('"%s"' % c for c in cols) + nl)
        i = 0
        while more(i):
            m = sim.message()
            i += 1
            parts, recs = [], []
            for rcp, (o, f) in zip(m["recips"], m["outcomes"]):
                evs = {"deliver": "Receive, Deliver", "expand": "Receive, Expand",
                       "defer": "Receive, Defer, Deliver", "fail": "Receive, Fail",
                       "drop": "Receive, Drop"}[o]
                parts.append("%s##%s" % (rcp, evs))
                recs.append((rcp, o, evs))
            t = iso(m["t"], 3)
            e = {"event": "", "sender": m["sender"], "subject": m["subject"], "mid": m["mid"],
                 "server": "", "connector": "", "time_text": t, "_exp": []}
            for rcp, o, evs in recs:
                if o == "fail":
                    e["_exp"].append(("rec", dict(expect_record(e, rcp, None, "failed", remote="",
                                                                reply=None, status=None, contains=""),
                                                  event="Fail")))
                elif o == "drop":
                    e["_exp"].append(("rec", dict(expect_record(e, rcp, None, "failed", remote="",
                                                                reply=None, status=None, contains=""),
                                                  event="Drop")))
                else:
                    e["_exp"].append(("skip", {"deliver": "delivered", "expand": "expanded",
                                               "defer": "delivered"}[o], 1))
            vals = [t, m["sender"], ";".join(parts), m["subject"], str(m["size"]), m["mid"], m["guid"],
                    "10.11.12.13", "Originating", "", "Normal"]
            where = out.lines
            out.write(",".join(csv_field(v) for v in vals) + nl)
            account(e, where)
    elif a.format == "csv-trace":
        cols = ("PSComputerName", "RunspaceId", "PSShowComputerName", "Organization", "MessageId",
                "Received", "SenderAddress", "RecipientAddress", "Subject", "Status", "ToIP", "FromIP",
                "Size", "MessageTraceId", "StartDate", "EndDate", "Index")
        out.write("#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace" + nl)
        out.write(",".join('"%s"' % c for c in cols) + nl)
        i = 0
        while more(i):
            m = sim.message()
            i += 1
            for e in trace_rows(sim, m):
                t = m["t"].strftime("%m/%d/%Y %I:%M:%S %p")
                e["time_text"] = t
                for it in e["_exp"]:
                    if it[0] == "rec":
                        it[1]["report_date"] = t
                vals = ["outlook.office365.com", "8da772ca-1784-4b02-a831-55867685f81c", "False", ORG,
                        e["mid"], t, e["sender"], e["recip"], e["subject"], e["status"], e["toip"], "",
                        str(e["size"]), e["guid"], "", "", str(i)]
                where = out.lines
                out.write(",".join('"%s"' % v.replace('"', '""') for v in vals) + nl)
                account(e, where)
    out.close()
    if exp:
        exp.write(json.dumps({"skipped": skipped, "records": nrec[0], "units": units[0]},
                             sort_keys=True) + "\n")
        exp.close()


if __name__ == "__main__":
    main()
