# Plans only: the module has no providers or resources, so this runs offline.

run "e3_experiment" {
  command = plan

  variables {
    nodes = { ams3 = 3, sfo3 = 1, nyc3 = 1, sgp1 = 1 }
  }

  assert {
    condition = output.names == [
      "e3--ams3-0", "e3--ams3-1", "e3--ams3-2", "e3--nyc3-0", "e3--sfo3-0", "e3--sgp1-0",
    ]
    error_message = "names: regions sorted, then by index"
  }

  assert {
    condition     = output.keys == ["ams3-0", "ams3-1", "ams3-2", "nyc3-0", "sfo3-0", "sgp1-0"]
    error_message = "keys in party order"
  }

  assert {
    condition     = output.hosts_pssh == "root@e3--ams3-0\nroot@e3--ams3-1\nroot@e3--ams3-2\nroot@e3--nyc3-0\nroot@e3--sfo3-0\nroot@e3--sgp1-0\n"
    error_message = "hosts_pssh: one root@<name> line per node, trailing newline"
  }

  assert {
    condition = output.hosts_colmena == {
      "e3--ams3-0" = { targetUser = "root", region = "ams3" }
      "e3--ams3-1" = { targetUser = "root", region = "ams3" }
      "e3--ams3-2" = { targetUser = "root", region = "ams3" }
      "e3--nyc3-0" = { targetUser = "root", region = "nyc3" }
      "e3--sfo3-0" = { targetUser = "root", region = "sfo3" }
      "e3--sgp1-0" = { targetUser = "root", region = "sgp1" }
    }
    error_message = "hosts_colmena: name => { targetUser, region }"
  }

  assert {
    condition     = output.nodes["ams3-2"] == { region = "ams3", index = 2, name = "e3--ams3-2" }
    error_message = "nodes: key => { region, index, name }"
  }
}

run "zero_nodes_everywhere" {
  command = plan

  variables {
    nodes = { ams3 = 0, nyc3 = 0 }
  }

  assert {
    condition     = output.names == [] && output.keys == [] && length(output.nodes) == 0 && length(output.hosts_colmena) == 0
    error_message = "no nodes, no names"
  }

  assert {
    condition     = output.hosts_pssh == ""
    error_message = "hosts_pssh is empty with no nodes"
  }
}

run "no_regions_by_default" {
  command = plan

  assert {
    condition     = output.names == [] && output.hosts_pssh == ""
    error_message = "the default nodes = {} makes no nodes"
  }
}

run "suffixes_and_prefix" {
  command = plan

  variables {
    name_prefix = "mpyc-demo"
    nodes       = { sgp1 = 1, ams3 = 2 }
    # ams3-1 has none: a missing entry means no suffix.
    suffixes = { "ams3-0" = "15e53f39", "sgp1-0" = "7f3c2d19" }
  }

  assert {
    condition     = output.names == ["mpyc-demo--ams3-0-15e53f39", "mpyc-demo--ams3-1", "mpyc-demo--sgp1-0-7f3c2d19"]
    error_message = "suffixes are appended after the index"
  }

  assert {
    condition     = output.hosts_pssh == "root@mpyc-demo--ams3-0-15e53f39\nroot@mpyc-demo--ams3-1\nroot@mpyc-demo--sgp1-0-7f3c2d19\n"
    error_message = "hosts_pssh uses the suffixed names"
  }

  assert {
    condition     = output.hosts_colmena["mpyc-demo--sgp1-0-7f3c2d19"].region == "sgp1"
    error_message = "hosts_colmena is keyed by the suffixed names"
  }
}

run "index_order_past_ten" {
  command = plan

  variables {
    nodes = { lon1 = 12 }
  }

  assert {
    condition     = output.names[2] == "e3--lon1-2" && output.names[10] == "e3--lon1-10" && length(output.names) == 12
    error_message = "indices go in numeric order, not string order"
  }
}

run "bad_region_slug" {
  command = plan

  variables {
    nodes = { "Amsterdam" = 1 }
  }

  expect_failures = [var.nodes]
}

run "negative_count" {
  command = plan

  variables {
    nodes = { ams3 = -1 }
  }

  expect_failures = [var.nodes]
}

run "fractional_count" {
  command = plan

  variables {
    nodes = { ams3 = 1.5 }
  }

  expect_failures = [var.nodes]
}

run "too_many_nodes" {
  command = plan

  variables {
    nodes = { ams3 = 51 }
  }

  expect_failures = [var.nodes]
}

run "bad_name_prefix" {
  command = plan

  variables {
    name_prefix = "3-E3"
  }

  expect_failures = [var.name_prefix]
}

# The image's regions are every region named, with nodes or not: a region
# whose nodes are gone (e3 keeps it at 0) keeps the image there, so dropping
# a region never replaces the image, nor the droplets made from it.
run "image_regions_keep_regions_without_nodes" {
  command = plan

  variables {
    nodes = { ams3 = 1, sfo3 = 0, nyc3 = 2 }
  }

  assert {
    condition     = output.image_regions == tolist(["ams3", "nyc3", "sfo3"])
    error_message = "image_regions: every region named, sorted, with or without nodes"
  }

  assert {
    condition     = output.keys == ["ams3-0", "nyc3-0", "nyc3-1"]
    error_message = "no node in a region at 0"
  }
}

run "image_regions_after_destroy" {
  command = plan

  variables {
    nodes = { ams3 = 0, sfo3 = 0 }
  }

  assert {
    condition     = output.image_regions == tolist(["ams3", "sfo3"]) && length(output.keys) == 0
    error_message = "with no nodes, the image regions stay"
  }
}
