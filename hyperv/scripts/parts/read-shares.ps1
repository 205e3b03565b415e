# Adds to $vols the shares the VMs' files are on (from $vms and $drives,
# as read-vms sets them) and selects the host's facts as $hostOut.
$shares = @{}
foreach ($f in @($h.VirtualMachinePath, $h.VirtualHardDiskPath) + @($vms | ForEach-Object { $_.Path }) + @($drives | ForEach-Object { $_.Path })) { if ($f -match '^(\\\\[^.?\\][^\\]*\\[^\\]+)') { $shares[$Matches[1]] = $true } }
if ($shares.Count -gt 0) { $fso = New-Object -ComObject Scripting.FileSystemObject }
foreach ($x in @($shares.Keys)) {
  $d = $null
  try { $d = $fso.GetDrive($x) } catch { $d = $null }
  if ($d -and $d.IsReady) { $vols += [pscustomobject]@{ Path = $x; Size = [int64]$d.TotalSize; Free = [int64]$d.AvailableSpace } } else { $vols += [pscustomobject]@{ Path = $x; Size = $null; Free = $null } }
}
$hostOut = $h | Select-Object @{n='Name';e={$_.ComputerName}}, FullyQualifiedDomainName, LogicalProcessorCount, MemoryCapacity, VirtualMachineMigrationEnabled, MaximumVirtualMachineMigrations, VirtualMachineMigrationAuthenticationType, VirtualMachineMigrationPerformanceOption, @{n='Cluster';e={$c}}, @{n='ProcessorManufacturer';e={$cpu.Manufacturer}}, @{n='ProcessorCaption';e={$cpu.Caption}}, @{n='ConfigVersions';e={$versions}}, @{n='Switches';e={$switches}}, VirtualMachinePath, VirtualHardDiskPath, @{n='Volumes';e={$vols}}

