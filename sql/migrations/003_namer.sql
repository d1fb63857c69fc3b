-- Word tables, palette and tile designs for generated nicknames (adjective-animal-NNNNNN-colour).
-- Safe to run again: tables are created if missing, rows are inserted once, designs are refreshed.
-- The SVG literals avoid semicolons, colons followed by a word, percent signs and double dashes,
-- so statement splitters and bind-parameter parsers leave them alone.

create table if not exists namer.tbl_adjective (
    adj_word varchar(20) primary key check (adj_word ~ '^[a-z]{3,12}$')
);

create table if not exists namer.tbl_animal (
    ani_word varchar(20) primary key check (ani_word ~ '^[a-z]{3,12}$')
);

create table if not exists namer.tbl_colour (
    col_name varchar(20) primary key check (col_name ~ '^[a-z]{3,12}$'),
    col_hex char(7) not null check (col_hex ~ '^#[0-9a-f]{6}$')
);

create table if not exists namer.tbl_tile_template (
    tpl_name varchar(30) primary key,
    tpl_svg text not null
);

insert into namer.tbl_adjective (adj_word) values
    ('amiable'), ('blithe'), ('bold'), ('brave'), ('breezy'), ('bright'), ('bubbly'),
    ('calm'), ('candid'), ('caring'), ('charming'), ('cheerful'), ('chipper'), ('clever'),
    ('cosy'), ('curious'), ('dapper'), ('daring'), ('dazzling'), ('eager'), ('earnest'),
    ('elegant'), ('fearless'), ('festive'), ('friendly'), ('gallant'), ('gentle'),
    ('gleeful'), ('glowing'), ('graceful'), ('happy'), ('hearty'), ('honest'), ('hopeful'),
    ('jaunty'), ('jolly'), ('jovial'), ('joyful'), ('kind'), ('lively'), ('loyal'),
    ('lucky'), ('mellow'), ('merry'), ('mighty'), ('modest'), ('nimble'), ('noble'),
    ('peppy'), ('perky'), ('placid'), ('playful'), ('plucky'), ('polite'), ('proud'),
    ('quick'), ('quiet'), ('radiant'), ('serene'), ('sincere'), ('snappy'), ('sparkly'),
    ('spirited'), ('sprightly'), ('steady'), ('sturdy'), ('sunny'), ('swift'), ('tender'),
    ('thrifty'), ('tidy'), ('trusty'), ('upbeat'), ('valiant'), ('vivid'), ('warm'),
    ('wise'), ('witty'), ('zany'), ('zesty'), ('zippy')
on conflict do nothing;

insert into namer.tbl_animal (ani_word) values
    ('aardvark'), ('albatross'), ('alpaca'), ('antelope'), ('armadillo'), ('badger'),
    ('beaver'), ('bison'), ('bobcat'), ('butterfly'), ('camel'), ('capybara'), ('caribou'),
    ('cheetah'), ('chinchilla'), ('chipmunk'), ('cougar'), ('coyote'), ('crane'),
    ('dolphin'), ('donkey'), ('dormouse'), ('falcon'), ('ferret'), ('finch'), ('flamingo'),
    ('fox'), ('gazelle'), ('gecko'), ('gibbon'), ('giraffe'), ('gopher'), ('hedgehog'),
    ('heron'), ('hippo'), ('ibex'), ('iguana'), ('jackal'), ('jaguar'), ('kangaroo'),
    ('kestrel'), ('kingfisher'), ('koala'), ('lemur'), ('leopard'), ('llama'), ('lobster'),
    ('lynx'), ('macaw'), ('magpie'), ('manatee'), ('meerkat'), ('mongoose'), ('moose'),
    ('narwhal'), ('ocelot'), ('octopus'), ('otter'), ('owl'), ('panda'), ('pangolin'),
    ('panther'), ('parrot'), ('pelican'), ('penguin'), ('puffin'), ('quail'), ('quokka'),
    ('rabbit'), ('raccoon'), ('reindeer'), ('robin'), ('salamander'), ('seahorse'),
    ('seal'), ('sparrow'), ('squirrel'), ('starling'), ('stoat'), ('swan'), ('tapir'),
    ('tiger'), ('toucan'), ('turtle'), ('walrus'), ('weasel'), ('wombat'), ('wren'),
    ('yak'), ('zebra')
on conflict do nothing;

insert into namer.tbl_colour (col_name, col_hex) values
    ('amber', '#e8a317'), ('apricot', '#f08a5d'), ('aqua', '#2bb5b8'),
    ('azure', '#2f80ed'), ('berry', '#9b2c5a'), ('blush', '#e0707f'),
    ('bronze', '#b0742a'), ('cobalt', '#1f4fbf'), ('coral', '#f2665e'),
    ('crimson', '#c8233c'), ('denim', '#3b5f9a'), ('emerald', '#1f9d6b'),
    ('fern', '#4f8a3c'), ('fuchsia', '#c2379b'), ('ginger', '#d2691e'),
    ('indigo', '#4b3a9e'), ('jade', '#2e9e7f'), ('lagoon', '#1b8aa0'),
    ('lavender', '#8f7bd6'), ('lilac', '#b07cc6'), ('lime', '#7cb82f'),
    ('mint', '#3cbf8e'), ('mustard', '#d4a21c'), ('navy', '#24356b'),
    ('ochre', '#c47f1a'), ('olive', '#7a8b2e'), ('orchid', '#b05ec2'),
    ('peach', '#f39a6b'), ('plum', '#7d3c74'), ('rose', '#d9597c'),
    ('ruby', '#b3173f'), ('saffron', '#f0a81c'), ('sage', '#7f9c74'),
    ('scarlet', '#e0302a'), ('sky', '#3d9be0'), ('slate', '#5a6b7d'),
    ('tangerine', '#f2792b'), ('teal', '#138a8a'), ('turquoise', '#25b0a8'),
    ('violet', '#7b4bd1')
on conflict do nothing;

-- Each design: $title for the accessible name, $c1 on the largest area, $c2..$c5 as accents.
insert into namer.tbl_tile_template (tpl_name, tpl_svg) values
('quarters', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
<title>$title</title>
<rect width="120" height="120" fill="$c1"/>
<path d="M0 0H52A52 52 0 0 1 0 52Z" fill="$c2"/>
<path d="M120 0V52A52 52 0 0 1 68 0Z" fill="$c3"/>
<path d="M120 120H68A52 52 0 0 1 120 68Z" fill="$c4"/>
<path d="M0 120V68A52 52 0 0 1 52 120Z" fill="$c5"/>
<circle cx="60" cy="60" r="16" fill="$c2"/>
</svg>'),
('stripes', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
<title>$title</title>
<rect width="120" height="120" fill="$c1"/>
<polygon points="24,0 48,0 0,48 0,24" fill="$c2"/>
<polygon points="72,0 96,0 0,96 0,72" fill="$c3"/>
<polygon points="120,24 120,48 48,120 24,120" fill="$c4"/>
<polygon points="120,72 120,96 96,120 72,120" fill="$c5"/>
</svg>'),
('pinwheel', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
<title>$title</title>
<rect width="120" height="120" fill="$c1"/>
<polygon points="0,0 60,0 60,60" fill="$c2"/>
<polygon points="120,0 120,60 60,60" fill="$c3"/>
<polygon points="120,120 60,120 60,60" fill="$c4"/>
<polygon points="0,120 0,60 60,60" fill="$c5"/>
</svg>'),
('rings', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
<title>$title</title>
<rect width="120" height="120" fill="$c1"/>
<circle cx="60" cy="60" r="54" fill="$c2"/>
<circle cx="60" cy="60" r="44" fill="$c1"/>
<circle cx="60" cy="60" r="32" fill="$c3"/>
<circle cx="60" cy="60" r="22" fill="$c4"/>
<circle cx="60" cy="60" r="10" fill="$c5"/>
</svg>'),
('diamond', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
<title>$title</title>
<rect width="120" height="120" fill="$c1"/>
<polygon points="60,8 112,60 60,112 8,60" fill="$c2"/>
<polygon points="60,28 92,60 60,92 28,60" fill="$c3"/>
<polygon points="60,48 72,60 60,72 48,60" fill="$c1"/>
<polygon points="0,0 28,0 0,28" fill="$c4"/>
<polygon points="120,120 92,120 120,92" fill="$c4"/>
<polygon points="120,0 120,28 92,0" fill="$c5"/>
<polygon points="0,120 0,92 28,120" fill="$c5"/>
</svg>'),
('checker', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
<title>$title</title>
<rect width="120" height="120" fill="$c1"/>
<rect x="30" y="0" width="30" height="30" fill="$c2"/>
<rect x="90" y="0" width="30" height="30" fill="$c3"/>
<rect x="0" y="30" width="30" height="30" fill="$c4"/>
<rect x="60" y="30" width="30" height="30" fill="$c5"/>
<rect x="30" y="60" width="30" height="30" fill="$c3"/>
<rect x="90" y="60" width="30" height="30" fill="$c2"/>
<rect x="0" y="90" width="30" height="30" fill="$c5"/>
<rect x="60" y="90" width="30" height="30" fill="$c4"/>
</svg>'),
('waves', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
<title>$title</title>
<rect width="120" height="120" fill="$c1"/>
<circle cx="84" cy="32" r="16" fill="$c5"/>
<path d="M0 64C20 52 40 52 60 64S100 76 120 64V120H0Z" fill="$c2"/>
<path d="M0 82C20 70 40 70 60 82S100 94 120 82V120H0Z" fill="$c3"/>
<path d="M0 100C20 88 40 88 60 100S100 112 120 100V120H0Z" fill="$c4"/>
</svg>'),
('hexagon', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
<title>$title</title>
<rect width="120" height="120" fill="$c1"/>
<polygon points="60,12 101.57,36 101.57,84 60,108 18.43,84 18.43,36" fill="$c2"/>
<polygon points="60,30 85.98,45 85.98,75 60,90 34.02,75 34.02,45" fill="$c3"/>
<circle cx="60" cy="60" r="10" fill="$c4"/>
<path d="M0 0H14A14 14 0 0 1 0 14Z" fill="$c5"/>
<path d="M120 0V14A14 14 0 0 1 106 0Z" fill="$c5"/>
<path d="M120 120H106A14 14 0 0 1 120 106Z" fill="$c5"/>
<path d="M0 120V106A14 14 0 0 1 14 120Z" fill="$c5"/>
</svg>'),
('bauhaus', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
<title>$title</title>
<rect width="120" height="120" fill="$c1"/>
<path d="M12 120A48 48 0 0 1 108 120Z" fill="$c2"/>
<path d="M40 120A20 20 0 0 1 80 120Z" fill="$c5"/>
<circle cx="32" cy="34" r="18" fill="$c3"/>
<rect x="72" y="18" width="32" height="32" fill="$c4"/>
</svg>')
on conflict (tpl_name) do update set tpl_svg = excluded.tpl_svg;
