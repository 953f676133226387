from keras_lord.distribution import parse_collectives

PROGRAM = """
ENTRY %main {
  %p = f32[8,16]{1,0} parameter(0)
  %ag = f32[8,16]{1,0} all-gather(%p), dimensions={0}, metadata={op_name="jit(step)/scatter"}
  %ar = (f32[], bf16[3,4]{1,0}) all-reduce(%a, %b), to_apply=%sum, metadata={op_name="grad"}
  %ags = (f32[2,16]{1,0}, f32[8,16]{1,0}) all-gather-start(%q), dimensions={0}
  %agd = f32[8,16]{1,0} all-gather-done(%ags)
  %cp = s32[5]{0} collective-permute(%i), source_target_pairs={{0,1},{1,0}}
  %not = f32[8,16]{1,0} add(%p, %p), metadata={op_name="all-reduce"}
}
"""


def test_collectives_their_arrays_and_bytes():
    found = parse_collectives(PROGRAM)
    assert [c.kind for c in found] == [
        "all-gather",
        "all-reduce",
        "all-gather",
        "collective-permute",
    ]
    assert found[0].shapes == ((8, 16),) and found[0].bytes == 8 * 16 * 4
    assert found[0].operation == "jit(step)/scatter"
    assert found[1].shapes == ((), (3, 4)) and found[1].bytes == 4 + 12 * 2
    # An asynchronous all-gather counts its result, not its operand as well.
    assert found[2].shapes == ((8, 16),) and found[2].bytes == 512
    assert found[3].bytes == 20 and found[3].operation == ""


def test_a_program_without_collectives():
    assert parse_collectives("%x = f32[4]{0} add(%a, %b)\n") == []
