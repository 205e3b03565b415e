# hvbalancer compare-vm
$ErrorActionPreference = 'Stop'
$m = @{ VM = (Get-VM -Id $a.Id); DestinationHost = $a.DestinationHost }
if ($a.DestinationStoragePath) { $m.IncludeStorage = $true; $m.DestinationStoragePath = $a.DestinationStoragePath }
$r = Compare-VM @m
$list = @(foreach ($i in $r.Incompatibilities) { [pscustomobject]@{ MessageId = $i.MessageId; Message = $i.Message; Source = $(if ($null -ne $i.Source) { $i.Source.GetType().FullName }) } })
[pscustomobject]@{ Id = $a.Id; DestinationHost = $a.DestinationHost; Incompatibilities = $list } | ConvertTo-Json -Compress -Depth 4
