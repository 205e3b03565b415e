package main

// ideal is the fractional ideal: every host at the fleet's mean load, as
// if VMs could be cut in pieces. No placement has a busiest host below the
// mean (the mean of the hosts' loads, weighted by capacity, is at most
// the largest), so its maximum host CPU and memory are lower bounds of
// every contender's, and its spreads are 0.
func ideal(f *fleet) Result {
	var cores, lps float64
	var mem, capacity float64
	for hi, h := range f.snap.Hosts {
		cores += f.cores[hi]
		lps += float64(h.LogicalProcessors)
		mem += float64(f.memUsed[hi])
		capacity += float64(h.MemoryBytes)
	}
	return Result{Contender: "ideal (fractional)", Kind: kindIdeal, Source: "fleet mean load: a lower bound",
		MaxCPU: cores / lps * 100, MaxMemory: mem / capacity * 100}
}
