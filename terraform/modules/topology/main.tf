# Which nodes exist and what they are called: no providers, no resources, so
# `terraform test` checks it offline.
#
# A node's key is "<region>-<index>" and its name
# "<prefix>--<region>-<index>[-<suffix>]", like the original setup's
# "e3--ams3-0-15e53f39". crates/e3-inventory reads the region back out of
# such names (the part after "--").

locals {
  # Party order: regions sorted, then index 0, 1, ... within each region.
  # Built with nested loops, not by sorting the keys: as strings "ams3-10"
  # would come before "ams3-2".
  ordered = flatten([
    for region in sort(keys(var.nodes)) : [
      for index in range(var.nodes[region]) : {
        key    = "${region}-${index}"
        region = region
        index  = index
      }
    ]
  ])

  named = [
    for node in local.ordered : merge(node, {
      name = (lookup(var.suffixes, node.key, "") == ""
        ? "${var.name_prefix}--${node.key}"
      : "${var.name_prefix}--${node.key}-${var.suffixes[node.key]}")
    })
  ]
}
