# hvbalancer get-counters
$ErrorActionPreference = 'Stop'
$cn = @{ Set = 'Set'; Sample = 'Sample'; Name = 'Name'; Value = 'Value'; Wait = 'Wait'; Dispatches = 'Dispatches'; Time = 'Timestamp_Sys100NS' }
$s = @()
foreach ($i in 0, 1) {
  if ($i -gt 0) { Start-Sleep -Seconds $a.SampleInterval }
  #include sample-cpu
}
#include sample-memory
ConvertTo-Json -InputObject $s -Compress
