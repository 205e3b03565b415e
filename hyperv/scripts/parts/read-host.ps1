# Reads the host's facts: cluster, Hyper-V settings, processor, VM
# configuration versions, switches and local volumes ($vols).
$c = $null
if (Get-Command Get-Cluster -ErrorAction SilentlyContinue) { $c = (Get-Cluster -ErrorAction SilentlyContinue).Name }
$h = Get-VMHost
$cpu = @(Get-CimInstance -ClassName Win32_Processor)[0]
$versions = @(Get-VMHostSupportedVersion | ForEach-Object { [string]$_.Version })
$switches = @(Get-VMSwitch | ForEach-Object { $_.Name })
$vols = @(Get-CimInstance -ClassName Win32_Volume | Where-Object { $_.Capacity -gt 0 -and $_.Name -notmatch '^\\\\\?\\' } | ForEach-Object { [pscustomobject]@{ Path = $_.Name; Size = $_.Capacity; Free = $_.FreeSpace } })
