"""Test certificates made with the openssl CLI at test time: a CA, and certificates it signs
for localhost / 127.0.0.1 (never checked in, never reused between runs)."""
import os
import pathlib
import shutil
import subprocess


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class CertAuthority:
    def __init__(self, directory, name="Tombstone Test CA"):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cert = self.dir / "ca.crt"
        self.key = self.dir / "ca.key"
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", f"/CN={name}", "-keyout", str(self.key), "-out", str(self.cert),
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)

    def issue(self, stem, cn="localhost", sans=("DNS:localhost", "IP:127.0.0.1")):
        """Sign a server certificate; returns (cert path, key path)."""
        key, csr, crt = (self.dir / f"{stem}.key", self.dir / f"{stem}.csr",
                         self.dir / f"{stem}.crt")
        ext = self.dir / f"{stem}.ext"
        ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                       "extendedKeyUsage=serverAuth,clientAuth\n"
                       f"subjectAltName={','.join(sans)}\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}",
                 "-keyout", str(key), "-out", str(csr), cwd=self.dir)
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
                 "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(crt),
                 cwd=self.dir)
        os.chmod(key, 0o600)
        return crt, key


def install_for_postgres(crt, key, data_dir):
    """Copy a cert/key pair into a cluster's data dir with the ownership and mode PostgreSQL
    insists on (key 0600, owned by the server's user); returns the new (cert, key) paths."""
    data_dir = pathlib.Path(data_dir)
    dst_crt, dst_key = data_dir / "server.crt", data_dir / "server.key"
    shutil.copy(crt, dst_crt)
    shutil.copy(key, dst_key)
    os.chmod(dst_key, 0o600)
    if os.geteuid() == 0:
        for p in (dst_crt, dst_key):
            shutil.chown(p, "postgres", "postgres")
    return dst_crt, dst_key
