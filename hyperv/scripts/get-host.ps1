# hvbalancer get-host
$ErrorActionPreference = 'Stop'
$c = $null
if (Get-Command Get-Cluster -ErrorAction SilentlyContinue) { $c = (Get-Cluster -ErrorAction SilentlyContinue).Name }
$h = Get-VMHost
$cpu = @(Get-CimInstance -ClassName Win32_Processor)[0]
$versions = @(Get-VMHostSupportedVersion | ForEach-Object { [string]$_.Version })
$switches = @(Get-VMSwitch | ForEach-Object { $_.Name })
$vols = @(Get-CimInstance -ClassName Win32_Volume | Where-Object { $_.Capacity -gt 0 -and $_.Name -notmatch '^\\\\\?\\' } | ForEach-Object { [pscustomobject]@{ Path = $_.Name; Size = $_.Capacity; Free = $_.FreeSpace } })
$vms = @(Get-VM)
$files = @($h.VirtualMachinePath, $h.VirtualHardDiskPath) + @($vms | ForEach-Object { $_.Path })
if ($vms.Count -gt 0) { $files += @($vms | Get-VMHardDiskDrive | ForEach-Object { $_.Path }) }
$shares = @{}
foreach ($f in $files) { if ($f -match '^(\\\\[^.?\\][^\\]*\\[^\\]+)') { $shares[$Matches[1]] = $true } }
if ($shares.Count -gt 0) { $fso = New-Object -ComObject Scripting.FileSystemObject }
foreach ($s in @($shares.Keys)) {
  $d = $null
  try { $d = $fso.GetDrive($s) } catch { $d = $null }
  if ($d -and $d.IsReady) { $vols += [pscustomobject]@{ Path = $s; Size = [int64]$d.TotalSize; Free = [int64]$d.AvailableSpace } } else { $vols += [pscustomobject]@{ Path = $s; Size = $null; Free = $null } }
}
$h | Select-Object @{n='Name';e={$_.ComputerName}}, FullyQualifiedDomainName, LogicalProcessorCount, MemoryCapacity, VirtualMachineMigrationEnabled, MaximumVirtualMachineMigrations, VirtualMachineMigrationAuthenticationType, VirtualMachineMigrationPerformanceOption, @{n='Cluster';e={$c}}, @{n='ProcessorManufacturer';e={$cpu.Manufacturer}}, @{n='ProcessorCaption';e={$cpu.Caption}}, @{n='ConfigVersions';e={$versions}}, @{n='Switches';e={$switches}}, VirtualMachinePath, VirtualHardDiskPath, @{n='Volumes';e={$vols}} | ConvertTo-Json -Compress -Depth 4
