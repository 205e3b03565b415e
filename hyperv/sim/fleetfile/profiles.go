package fleetfile

// Load profiles: how a VM's CPU demand moves over time.
const (
	ProfileSteady     = "steady"     // the mean, with tiny noise
	ProfileDiurnal    = "diurnal"    // a sine over Period that peaks mid-afternoon (15:00 UTC for 24h)
	ProfileBursty     = "bursty"     // the mean, with short bursts to mean+Amplitude
	ProfileRandomWalk = "randomwalk" // smooth, continuous noise of ±Amplitude around the mean
)
