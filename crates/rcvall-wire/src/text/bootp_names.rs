//! The tables `print-bootp.c` prints names from (transcribed from tcpdump 4.99.3's source).

/// `tag2str`: the first character says how the value prints (`a` text, `i` addresses, `l`/`L`
/// 32-bit numbers, `s` 16-bit, `b` bytes, `x` hex, `B` booleans, `p` address pairs, `$` special).
pub(super) fn tag_name(v: u8) -> Option<&'static str> {
    Some(match v {
        0 => " PAD",
        1 => "iSubnet-Mask",
        2 => "LTime-Zone",
        3 => "iDefault-Gateway",
        4 => "iTime-Server",
        5 => "iIEN-Name-Server",
        6 => "iDomain-Name-Server",
        7 => "iLOG",
        8 => "iCS",
        9 => "iLPR-Server",
        10 => "iIM",
        11 => "iRL",
        12 => "aHostname",
        13 => "sBS",
        255 => " END",
        14 => "aDP",
        15 => "aDomain-Name",
        16 => "iSS",
        17 => "aRP",
        18 => "aEP",
        19 => "BIPF",
        20 => "BSRT",
        21 => "pPF",
        22 => "sRSZ",
        23 => "bTTL",
        24 => "lMTU-Timeout",
        25 => "sMTU-Table",
        26 => "sMTU",
        27 => "BLSN",
        28 => "iBR",
        29 => "BMD",
        30 => "BMS",
        31 => "BRouter-Discovery",
        32 => "iRSA",
        33 => "pStatic-Route",
        34 => "BUT",
        35 => "lAT",
        36 => "BIE",
        37 => "bTT",
        38 => "lKI",
        39 => "BKG",
        40 => "aYD",
        41 => "iYS",
        42 => "iNTP",
        43 => "bVendor-Option",
        44 => "iNetbios-Name-Server",
        45 => "iWDD",
        46 => "$Netbios-Node",
        47 => "aNetbios-Scope",
        48 => "iXFS",
        49 => "iXDM",
        64 => "sN+D",
        65 => "iN+S",
        68 => "iMH",
        69 => "iSMTP",
        70 => "iPOP3",
        71 => "iNNTP",
        72 => "iWWW",
        73 => "iFG",
        74 => "iIRC",
        75 => "iSTS",
        76 => "iSTDA",
        50 => "iRequested-IP",
        51 => "lLease-Time",
        52 => "$OO",
        66 => "aTFTP",
        67 => "aBF",
        53 => " DHCP-Message",
        54 => "iServer-ID",
        55 => "bParameter-Request",
        56 => "aMSG",
        57 => "sMSZ",
        58 => "lRN",
        59 => "lRB",
        60 => "aVendor-Class",
        61 => "$Client-ID",
        98 => "aUAP",
        116 => "BNOAUTO",
        78 => "bSLP-DA",
        79 => "bSLP-SCOPE",
        117 => "sNSSEARCH",
        77 => "$User-Class",
        118 => "iSUBNET",
        121 => "$Classless-Static-Route",
        249 => "$Classless-Static-Route-Microsoft",
        150 => "iTFTP-Server-Address",
        80 => "aSLP-NA",
        81 => "$FQDN",
        82 => "$Agent-Information",
        83 => "bARMT",
        88 => "aTZSTR",
        89 => "bFQDNS",
        90 => "bAUTH",
        91 => "LLast-Transaction-Time",
        92 => "iAssociated-IP",
        93 => "sARCH",
        94 => "bNDI",
        97 => "bGUID",
        95 => "aLDAP",
        100 => "aPOSIX-TZ",
        101 => "aTZ-Name",
        112 => "iNI",
        113 => "aNITAG",
        114 => "aURL",
        161 => "aMUD-URL",
        _ => return None,
    })
}

/// `dhcp_msg_values`.
pub(super) fn dhcp_message(v: u8) -> Option<&'static str> {
    Some(match v {
        1 => "Discover",
        2 => "Offer",
        3 => "Request",
        4 => "Decline",
        5 => "ACK",
        6 => "NACK",
        7 => "Release",
        8 => "Inform",
        10 => "LeaseQuery",
        11 => "LeaseUnassigned",
        12 => "LeaseUnknown",
        13 => "LeaseActive",
        _ => return None,
    })
}

/// `nbo2str`.
pub(super) fn netbios_node(v: u8) -> Option<&'static str> {
    Some(match v {
        1 => "b-node",
        2 => "p-node",
        4 => "m-node",
        8 => "h-node",
        _ => return None,
    })
}

/// `oo2str`.
pub(super) fn overload(v: u8) -> Option<&'static str> {
    Some(match v {
        1 => "file",
        2 => "sname",
        3 => "file+sname",
        _ => return None,
    })
}

/// `arp2str`.
pub(super) fn hardware_type(v: u8) -> Option<&'static str> {
    Some(match v {
        1 => "ether",
        6 => "ieee802",
        7 => "arcnet",
        15 => "frelay",
        23 => "strip",
        24 => "ieee1394",
        _ => return None,
    })
}

/// `agent_suboption_values`.
pub(super) fn agent_suboption(v: u8) -> Option<&'static str> {
    Some(match v {
        1 => "Circuit-ID",
        2 => "Remote-ID",
        6 => "Subscriber-ID",
        _ => return None,
    })
}
