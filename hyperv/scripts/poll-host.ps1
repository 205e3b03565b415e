# hvbalancer poll-host
$ErrorActionPreference = 'Stop'
# One poll of a host in one command: the first counter sample, the VMs with
# their storage, the host's facts when $a.Facts asks, then the second
# sample SampleInterval later. Each part that fails is named in Errors and
# the others still answer. Sent over stdin: too long for a command line.
# The reads are the separate scripts' own parts (get-counters', get-vms',
# get-host's); the counter samples carry one-letter names ($cn) and Uptime
# is its text: a host's answer is parsed every poll, and the long forms
# were most of its bytes.
$cn = @{ Set = 'S'; Sample = 'I'; Name = 'N'; Value = 'V'; Wait = 'W'; Dispatches = 'D'; Time = 'T' }
$r = @{ Errors = @() }
$s = @()
foreach ($i in 0, 1) {
  if ($i -gt 0) {
    try {
      $uptime = @{n='Uptime';e={[string]$_.Uptime}}
      #include read-vms
      $r.VMs = $vmsOut
    } catch { $r.Errors += [pscustomobject]@{ Part = 'VMs'; Message = $_.Exception.Message; Category = [string]$_.CategoryInfo; Id = $_.FullyQualifiedErrorId } }
    if ($a.Facts) {
      try {
        #include read-host
        #include read-shares
        $r.Host = $hostOut
      } catch { $r.Errors += [pscustomobject]@{ Part = 'Host'; Message = $_.Exception.Message; Category = [string]$_.CategoryInfo; Id = $_.FullyQualifiedErrorId } }
    }
    Start-Sleep -Seconds $a.SampleInterval
  }
  try {
    #include sample-cpu
  } catch { $r.Errors += [pscustomobject]@{ Part = 'Counters'; Message = $_.Exception.Message; Category = [string]$_.CategoryInfo; Id = $_.FullyQualifiedErrorId } }
}
try {
  #include sample-memory
} catch { $r.Errors += [pscustomobject]@{ Part = 'Counters'; Message = $_.Exception.Message; Category = [string]$_.CategoryInfo; Id = $_.FullyQualifiedErrorId } }
$r.Samples = $s
ConvertTo-Json -InputObject $r -Compress -Depth 5
