package assess

import (
	"slices"

	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes"
)

// NoGPConnectReason is why GP Connect probes are not probed when no provider was given.
const NoGPConnectReason = "no GP Connect provider endpoint was given (--gpconnect)"

// ScopeOf describes the run opts would make over the linked probes.
func ScopeOf(opts Options, linked []probes.Probe) evidence.Scope {
	sc := evidence.Scope{Inspector: opts.Inspector, Role: opts.Role, Tool: opts.ToolVersion}
	main := evidence.Endpoint{Kind: evidence.FHIREndpoint, URL: opts.Target.BaseURL, FHIRVersion: opts.Target.FHIRVersion}
	var gpc *evidence.Endpoint
	if opts.GPConnect != nil {
		gpc = &evidence.Endpoint{Kind: evidence.GPConnectEndpoint, URL: opts.GPConnect.BaseURL, FHIRVersion: opts.GPConnect.FHIRVersion}
	}
	gpcPackOnMain := false
	for _, p := range linked {
		pack := p.Meta().Pack
		switch {
		case pack == GPConnectPack && gpc != nil:
			if !slices.Contains(gpc.Packs, pack) {
				gpc.Packs = append(gpc.Packs, pack)
			}
		case pack == GPConnectPack && opts.Target.GPConnect == nil:
			gpcPackOnMain = true
		default:
			if !slices.Contains(main.Packs, pack) {
				main.Packs = append(main.Packs, pack)
			}
		}
	}
	sc.Endpoints = append(sc.Endpoints, main)
	if gpc != nil {
		sc.Endpoints = append(sc.Endpoints, *gpc)
	}
	if gpcPackOnMain {
		sc.NotProbed = append(sc.NotProbed, evidence.PackNotProbed{Pack: GPConnectPack, Reason: NoGPConnectReason})
	}
	return sc
}
