package smtpfilter

import "net/netip"

// clientKey is what per-client limits count by: an IPv4 address (also one
// written as an IPv4-mapped IPv6 address), or the /64 of an IPv6 address.
// One IPv6 host usually holds a whole /64 and can pick any address in it
// for each connection, so counting by address would give it 2^64 fresh
// AUTH lockout counters and per-IP connection budgets.
func clientKey(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if !ip.Is6() {
		return ip
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return ip
	}
	return p.Addr()
}
