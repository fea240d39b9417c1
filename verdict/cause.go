package verdict

// CauseKind classifies why a probe could not test. Every kind but Other is a set-up or
// network condition, never a finding against the server's conformance.
type CauseKind string

// Cause kinds, in the order a summary lists them.
const (
	// CauseTLSTrust: the certificate chain does not verify against the roots this machine
	// trusts (a private CA not given with --ca).
	CauseTLSTrust CauseKind = "tls-trust"
	// CauseTLSHandshake: no TLS session could be agreed at all.
	CauseTLSHandshake CauseKind = "tls-handshake"
	// CauseRefused: nothing accepts connections at the address.
	CauseRefused CauseKind = "connection-refused"
	// CauseDNS: the host name does not resolve.
	CauseDNS CauseKind = "dns"
	// CauseTimeout: the server accepted the connection but did not answer within --timeout.
	CauseTimeout CauseKind = "timeout"
	// CauseUnresponsive: requests were not sent because the origin had already timed out
	// repeatedly (the run's circuit breaker).
	CauseUnresponsive CauseKind = "unresponsive"
	// CauseCredentials: the endpoint refused the run's credentials (401/403) or none were given.
	CauseCredentials CauseKind = "credentials"
	// CauseDeadline: the probe or the run ran out of time.
	CauseDeadline CauseKind = "deadline"
	// CauseOther: anything else (the observation has the detail).
	CauseOther CauseKind = "other"
)

// Cause is a classified reason a probe could not test, with what the inspector can do.
type Cause struct {
	Kind CauseKind `json:"kind" jsonschema:"enum=tls-trust,enum=tls-handshake,enum=connection-refused,enum=dns,enum=timeout,enum=unresponsive,enum=credentials,enum=deadline,enum=other"`
	// Detail is the underlying error, redacted, clipped to one line.
	Detail string `json:"detail"`
	// Advice is the inspector's remedy ("pass --ca with the CA that issued the certificate").
	Advice string `json:"advice"`
}
